package archive

import (
	"context"
	"fmt"
	"path/filepath"
)

// The kinds of Store OpenStore opens.
const (
	StoreFS = "fs"
	StoreS3 = "s3"
)

// StoreConfig chooses and configures a Store.
type StoreConfig struct {
	// Kind is StoreFS (the default when empty) or StoreS3.
	Kind string
	// Dir is the FS store's folder; for S3 its "tmp" subfolder is the
	// spool (S3.SpoolDir defaults to it).
	Dir string
	// S3 configures the S3 store.
	S3 S3Params
}

// OpenStore opens the store c names. Errors: ErrInvalid (an unknown kind,
// a missing folder or S3 setting), the stores' own.
func OpenStore(ctx context.Context, c StoreConfig) (Store, error) {
	switch c.Kind {
	case "", StoreFS:
		if c.Dir == "" {
			return nil, fmt.Errorf("%w: archive store fs: a folder is required", ErrInvalid)
		}
		return NewFS(c.Dir)
	case StoreS3:
		p := c.S3
		if p.SpoolDir == "" && c.Dir != "" {
			p.SpoolDir = filepath.Join(c.Dir, "tmp")
		}
		return NewS3(ctx, p)
	}
	return nil, fmt.Errorf("%w: archive store %q: use %s or %s", ErrInvalid, c.Kind, StoreFS, StoreS3)
}
