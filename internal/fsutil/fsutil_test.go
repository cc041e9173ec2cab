package fsutil_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/fsutil"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	require.NoError(t, fsutil.WriteFileAtomic(p, []byte("one"), 0o600))
	require.NoError(t, fsutil.WriteFileAtomic(p, []byte("two"), 0o600))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "two", string(got))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")
}

func TestSyncDir(t *testing.T) {
	require.NoError(t, fsutil.SyncDir(t.TempDir()))
	require.Error(t, fsutil.SyncDir(filepath.Join(t.TempDir(), "missing")))
}
