package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive"
)

func key(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFSStoreKeepsWhatHashesToItsKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := archive.NewFS(dir)
	require.NoError(t, err)
	data := bytes.Repeat([]byte("segment"), 10000)
	k := key(data)

	n, err := s.Put(ctx, k, bytes.NewReader(data), 1<<20)
	require.NoError(t, err)
	require.EqualValues(t, len(data), n)
	ok, err := s.Has(ctx, k)
	require.NoError(t, err)
	require.True(t, ok)

	o, err := s.Open(ctx, k)
	require.NoError(t, err)
	defer o.Close()
	require.EqualValues(t, len(data), o.Size())
	_, err = o.Seek(7*100, io.SeekStart)
	require.NoError(t, err)
	part := make([]byte, 7)
	_, err = io.ReadFull(o, part)
	require.NoError(t, err)
	require.Equal(t, "segment", string(part))

	// Storing it again keeps the original and succeeds.
	n, err = s.Put(ctx, k, strings.NewReader("other bytes"), 1<<20)
	require.NoError(t, err)
	require.EqualValues(t, len(data), n)
}

func TestFSStoreRefusesAndStoresNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := archive.NewFS(dir)
	require.NoError(t, err)
	data := []byte("the real segment")
	for _, tc := range []struct {
		name string
		key  string
		body []byte
		max  int64
		want error
	}{
		{"wrong hash", key([]byte("something else")), data, 1 << 20, archive.ErrHashMismatch},
		{"path-like key", "../../etc/passwd", data, 1 << 20, archive.ErrBadKey},
		{"upper-case key", strings.ToUpper(key(data)), data, 1 << 20, archive.ErrBadKey},
		{"too large", key(data), data, 4, archive.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Put(ctx, tc.key, bytes.NewReader(tc.body), tc.max)
			require.ErrorIs(t, err, tc.want)
		})
	}
	// Nothing but the empty tmp directory is left.
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	require.Empty(t, files)
	_, err = s.Open(ctx, key(data))
	require.ErrorIs(t, err, archive.ErrNotFound)
}
