package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/room"
)

// TestRestoreFromBackupAndReplica is the disaster drill of deploy/README.md
// ("备份与恢复 / Backups"): a session's recordings are uploaded and
// replicated and the nightly backup runs (deploy/backup/pg-backup.sh, the
// real pg_dump); then the database and the primary archive disk are
// lost. The backup is restored into a new database (pg-restore.sh, the
// real pg_restore), evalroomd starts on it with the replica as its
// archive, and the archivist's verification finds the session's chains
// intact, its scores and its evidence export whole. One byte altered in
// the replica is then named by the verification.
func TestRestoreFromBackupAndReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	pgBin := postgresBin(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := testConfig(t)
	cfg.Archive.ReplicaStore = archive.StoreFS
	cfg.Archive.ReplicaDir = t.TempDir()
	m := NewMain(cfg, quiet)
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	base := "http://" + m.Addr
	admin, staff, expert := login(t, base, "admin"), login(t, base, "staff-nj"), login(t, base, "expert-demo")
	sess, path := startEvaluating(t, admin, staff)

	start := time.Now().Add(-40 * time.Second).UTC()
	var hashes []string
	for _, r := range sess.Rooms {
		hashes = append(hashes, uploadSegments(t, base, cfg.Secrets.MasterKey, r.RecorderID, r.ID, sess.ID, start, 3)...)
	}
	require.Equal(t, http.StatusCreated, expert.do("POST", path+"/scores", map[string]any{"bidder": "B1", "criterion": "C1", "value": 27}, nil))
	waitFor(t, "every segment in the replica", func() bool {
		st, err := m.archive.ReplicationStats(ctx)
		require.NoError(t, err)
		return st.Done == int64(len(hashes))
	})

	// The nightly backup, while evalroomd runs.
	backups := t.TempDir()
	cmd := exec.Command(repoFile(t, "deploy/backup/pg-backup.sh"), "--dir", backups, "--keep", "7")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PG_BIN=" + pgBin, "EVALROOM_POSTGRES_DSN=" + cfg.Postgres.DSN}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	backup := strings.TrimSpace(string(out))
	require.FileExists(t, backup+".sha256")

	// The disaster: the server, its database and its archive disk are gone.
	require.NoError(t, m.Close(ctx))
	require.NoError(t, os.RemoveAll(cfg.Archive.Dir))

	// Restore the backup into a new, empty database.
	restored := testenv.PostgresDSN(t)
	cmd = exec.Command(repoFile(t, "deploy/backup/pg-restore.sh"), "--dsn", restored, backup)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PG_BIN=" + pgBin}
	o, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", o)

	// evalroomd on the restored database, its archive the replica (the
	// replica's folder is laid out as a primary store), a fresh Redis.
	cfg2 := cfg
	cfg2.Postgres.DSN = restored
	cfg2.Archive.Dir = cfg.Archive.ReplicaDir
	cfg2.Archive.ReplicaStore, cfg2.Archive.ReplicaDir = "", ""
	rdb := testenv.Redis(t)
	cfg2.Redis.Addr, cfg2.Redis.Prefix = rdb.Addr, rdb.Prefix
	cfg2.Demo.Seed = false
	m2 := NewMain(cfg2, quiet)
	require.NoError(t, m2.Run(ctx))
	defer m2.Close(ctx)
	base2 := "http://" + m2.Addr
	archivist := login(t, base2, "archivist") // the accounts came back with the database

	var vr archive.VerifyReport
	require.Equal(t, http.StatusOK, archivist.do("POST", path+"/archive/verify", nil, &vr))
	require.True(t, vr.OK, "%+v", vr.First)
	require.Equal(t, len(hashes), vr.Verified)
	require.Len(t, vr.Chains, 2)
	for _, c := range vr.Chains {
		require.EqualValues(t, 1, c.FirstSeq)
		require.EqualValues(t, 3, c.LastSeq)
	}
	var scores struct {
		Items []room.ScoreRecord `json:"items"`
	}
	require.Equal(t, http.StatusOK, login(t, base2, "admin").do("GET", path+"/scores", nil, &scores))
	require.Len(t, scores.Items, 1)
	require.EqualValues(t, 27, scores.Items[0].Value)

	// The evidence export from the restored server verifies offline.
	resp, err := archivist.http.Get(base2 + path + "/archive/export")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	file := filepath.Join(t.TempDir(), "export.zip")
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o600))
	rep, err := evidence.VerifyFile(ctx, file, evidence.VerifyOptions{})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
	require.Equal(t, 1, rep.Scores.Matched)

	// One byte of the replica changes: the verification names the segment.
	h := hashes[4]
	p := filepath.Join(cfg.Archive.ReplicaDir, h[0:2], h[2:4], h)
	require.NoError(t, os.Chmod(p, 0o640))
	seg, err := os.ReadFile(p)
	require.NoError(t, err)
	seg[len(seg)/2] ^= 0x10
	require.NoError(t, os.WriteFile(p, seg, 0o440))
	require.Equal(t, http.StatusOK, archivist.do("POST", path+"/archive/verify", nil, &vr))
	require.False(t, vr.OK)
	require.Equal(t, 1, vr.Broken)
	require.Equal(t, "segment:"+h, vr.First.Name)
	require.Equal(t, evidence.KindSegmentHash, vr.First.Kind)
}

// postgresBin is the newest /usr/lib/postgresql/*/bin with pg_dump and
// pg_restore (Debian's postgresql package); the test is skipped without.
func postgresBin(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 { // /usr/lib/postgresql/<version>/bin
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_restore")); err == nil {
			return dirs[i]
		}
	}
	t.Skip("no /usr/lib/postgresql/*/bin/pg_dump: install Debian's postgresql package")
	return ""
}

// repoFile is a file of the repository (this package is cmd/evalroomd).
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	require.NoError(t, err)
	require.FileExists(t, p)
	return p
}
