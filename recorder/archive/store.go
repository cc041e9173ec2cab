package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/evalroom/evalroom/internal/fsutil"
)

// Store keeps immutable objects addressed by the hex SHA-256 of their
// content.
type Store interface {
	// Put stores the bytes read from r under key, checking as it reads
	// that they hash to key and are at most max bytes. It returns the
	// object's size. Errors: ErrBadKey, ErrHashMismatch, ErrTooLarge.
	Put(ctx context.Context, key string, r io.Reader, max int64) (int64, error)
	// Open returns the object for reading with seeking (HTTP range
	// requests). Errors: ErrBadKey, ErrNotFound.
	Open(ctx context.Context, key string) (Object, error)
	// Has reports whether the store holds key.
	Has(ctx context.Context, key string) (bool, error)
}

// Object is an open stored object.
type Object interface {
	io.ReadSeekCloser
	// Size is the object's length in bytes.
	Size() int64
}

// FS is a Store in a directory: objects at <dir>/<k[0:2]>/<k[2:4]>/<k>,
// written to a temporary file, synced and renamed into place, so an
// object is either wholly there or absent.
type FS struct{ dir string }

var _ Store = (*FS)(nil)

// NewFS returns a store in dir, creating it if needed.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("archive store %s: %w", dir, err)
	}
	return &FS{dir: dir}, nil
}

// CheckKey reports whether key is a well-formed object key.
func CheckKey(key string) error {
	if len(key) != 2*sha256.Size {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	for _, c := range key {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%w: %q", ErrBadKey, key)
		}
	}
	return nil
}

func (s *FS) path(key string) string {
	return filepath.Join(s.dir, key[0:2], key[2:4], key)
}

// Put implements Store.
func (s *FS) Put(ctx context.Context, key string, r io.Reader, max int64) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	switch fi, err := os.Stat(s.path(key)); {
	case err == nil:
		// Immutable and content-addressed: drain nothing, keep the original.
		return fi.Size(), nil
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("archive stat %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), key+"-*")
	if err != nil {
		return 0, fmt.Errorf("archive put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: io.LimitReader(r, max+1)})
	switch {
	case err != nil:
		return 0, fmt.Errorf("archive put %s: %w", key, err)
	case n > max:
		return 0, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	case hex.EncodeToString(h.Sum(nil)) != key:
		return 0, fmt.Errorf("%w: %s", ErrHashMismatch, key)
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("archive sync %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("archive close %s: %w", key, err)
	}
	final := s.path(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return 0, fmt.Errorf("archive put %s: %w", key, err)
	}
	if err := os.Chmod(tmp.Name(), 0o440); err != nil {
		return 0, fmt.Errorf("archive put %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return 0, fmt.Errorf("archive put %s: %w", key, err)
	}
	if err := fsutil.SyncDir(filepath.Dir(final)); err != nil {
		return 0, fmt.Errorf("archive put %s: %w", key, err)
	}
	return n, nil
}

// Open implements Store.
func (s *FS) Open(_ context.Context, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("archive open %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("archive stat %s: %w", key, err)
	}
	return fileObject{File: f, size: fi.Size()}, nil
}

// Has implements Store.
func (s *FS) Has(_ context.Context, key string) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, err
	}
	_, err := os.Stat(s.path(key))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("archive stat %s: %w", key, err)
}

type fileObject struct {
	*os.File
	size int64
}

func (o fileObject) Size() int64 { return o.size }

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
