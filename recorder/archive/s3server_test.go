package archive_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"
)

// versitygwModule is the S3 server the S3 store is tested against:
// versitygw (Apache 2.0) with its posix backend, built from the Go module
// proxy once into the user's cache directory.
const versitygwModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

var (
	versitygwOnce sync.Once
	versitygwPath string
	versitygwErr  error
)

// versitygw returns the path of a versitygw binary: $EVALROOM_TEST_VERSITYGW,
// else one built before into the cache, else one built now (a cold build
// takes a few minutes on 2 cores). It skips the test, saying what is
// missing, when none can be had (with -short it does not build).
func versitygw(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("EVALROOM_TEST_VERSITYGW"); p != "" {
		return p
	}
	versitygwOnce.Do(func() { versitygwPath, versitygwErr = buildVersitygw(testing.Short()) })
	if versitygwErr != nil {
		t.Skipf("no S3-compatible server to test against: %v", versitygwErr)
	}
	return versitygwPath
}

func buildVersitygw(short bool) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("user cache dir: %w", err)
	}
	dir := filepath.Join(cache, "evalroom-test", "versitygw-v1.8.0")
	bin := filepath.Join(dir, "versitygw")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if short {
		return "", fmt.Errorf("%s is not built yet and -short does not build it (run the test once without -short, or set EVALROOM_TEST_VERSITYGW)", bin)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build %s: %w", versitygwModule, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "build-")
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", err
		}
		if tmp, err = os.MkdirTemp(filepath.Dir(dir), "build-"); err != nil {
			return "", err
		}
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "install", versitygwModule)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s failed: %v: %s", versitygwModule, err, lastLines(string(out), 5))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Rename is atomic: a concurrent test binary sees the whole file or none.
	if err := os.Rename(filepath.Join(tmp, "versitygw"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// s3Server is a running versitygw on a free port of 127.0.0.1 with one
// bucket, serving a folder of the test's.
type s3Server struct {
	endpoint, access, secret, bucket string
	// root is the posix backend's folder: objects live at
	// root/<bucket>/<key>.
	root   string
	client *minio.Client
}

// startS3 starts versitygw for the test and stops it at cleanup.
func startS3(t *testing.T) *s3Server {
	t.Helper()
	bin := versitygw(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	s := &s3Server{endpoint: addr, access: "evalroom-test", secret: "evalroom-test-secret", bucket: "archive", root: t.TempDir()}
	cmd := exec.Command(bin, "--port", addr, "--access", s.access, "--secret", s.secret, "--quiet", "posix", s.root)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	s.client, err = minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(s.access, s.secret, "")})
	require.NoError(t, err)
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{})
		if err == nil {
			break
		}
		select {
		case <-done:
			t.Fatalf("versitygw exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer: %v: %s", err, logs.String())
		}
	}
	return s
}
