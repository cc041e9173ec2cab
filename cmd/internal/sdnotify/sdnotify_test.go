package sdnotify_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/sdnotify"
)

// listen opens a unixgram socket like systemd's notify socket and
// returns its $NOTIFY_SOCKET value and a channel of the datagrams.
func listen(t *testing.T, name string) <-chan string {
	t.Helper()
	addr := &net.UnixAddr{Name: name, Net: "unixgram"}
	conn, err := net.ListenUnixgram("unixgram", addr)
	require.NoError(t, err)
	got := make(chan string, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		wg.Wait()
	})
	return got
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no datagram arrived")
		return ""
	}
}

func TestSendReachesTheSocket(t *testing.T) {
	for _, tc := range []struct {
		name   string
		socket func(t *testing.T) (listenName, envValue string)
	}{
		{name: "path", socket: func(t *testing.T) (string, string) {
			p := filepath.Join(t.TempDir(), "notify")
			return p, p
		}},
		{name: "abstract", socket: func(t *testing.T) (string, string) {
			n := "evalroom-sdnotify-test-" + strconv.Itoa(os.Getpid())
			return "@" + n, "@" + n // Go's net package maps a leading @ to the abstract namespace too
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, value := tc.socket(t)
			got := listen(t, ln)
			n := sdnotify.FromEnv(env(map[string]string{"NOTIFY_SOCKET": value}))
			require.True(t, n.Enabled())
			require.NoError(t, n.Send(sdnotify.Ready, sdnotify.Status("正在录像\n2 路摄像机")))
			require.Equal(t, "READY=1\nSTATUS=正在录像 2 路摄像机", next(t, got))
			require.NoError(t, n.Send(sdnotify.Stopping))
			require.Equal(t, "STOPPING=1", next(t, got))
		})
	}
}

func TestWithoutSystemdNothingIsSent(t *testing.T) {
	n := sdnotify.FromEnv(env(nil))
	require.False(t, n.Enabled())
	require.NoError(t, n.Send(sdnotify.Ready))
	require.Zero(t, n.WatchdogInterval())
	var nilN *sdnotify.Notifier
	require.NoError(t, nilN.Send(sdnotify.Ready))
	done := make(chan struct{})
	go func() {
		n.RunWatchdog(context.Background(), nil, nil) // returns at once: no watchdog
		close(done)
	}()
	<-done
}

func TestSendToAMissingSocketFails(t *testing.T) {
	n := sdnotify.FromEnv(env(map[string]string{"NOTIFY_SOCKET": filepath.Join(t.TempDir(), "gone")}))
	require.Error(t, n.Send(sdnotify.Ready))
}

func TestWatchdogInterval(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want time.Duration
	}{
		{"set", map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "30000000"}, 30 * time.Second},
		{"for this process", map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": strconv.Itoa(os.Getpid())}, time.Second},
		{"for another process", map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}, 0},
		{"not a number", map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "soon"}, 0},
		{"no socket", map[string]string{"WATCHDOG_USEC": "1000000"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, sdnotify.FromEnv(env(tc.env)).WatchdogInterval())
		})
	}
}

// TestWatchdogPingsWhileAlive runs the keep-alive loop against a real
// socket with a 200 ms watchdog: a keep-alive arrives for each check that
// passed and none for the checks that failed, and the loop ends with its
// context.
func TestWatchdogPingsWhileAlive(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	got := listen(t, sock)
	n := sdnotify.FromEnv(env(map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "200000"}))
	var mu sync.Mutex
	healthy, passed, failed := true, 0, 0
	var withheld []error
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.RunWatchdog(ctx, func() error {
			mu.Lock()
			defer mu.Unlock()
			if !healthy {
				failed++
				return errors.New("recorder stuck")
			}
			passed++
			return nil
		}, func(err error) {
			mu.Lock()
			withheld = append(withheld, err)
			mu.Unlock()
		})
	}()
	received := 0
	for range 3 {
		require.Equal(t, "WATCHDOG=1", next(t, got))
		received++
	}
	mu.Lock()
	healthy = false
	mu.Unlock()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return failed >= 2
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	// Every keep-alive sent was for a passed check.
	for received < passed {
		require.Equal(t, "WATCHDOG=1", next(t, got))
		received++
	}
	select {
	case m := <-got:
		t.Fatalf("a keep-alive was sent for a failed check: %q", m)
	default:
	}
	require.Len(t, withheld, failed)
	require.ErrorContains(t, withheld[0], "recorder stuck")
}
