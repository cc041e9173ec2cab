package archive

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Ping checks that the archive's store can take segments: a file store's
// folder is writable (a probe file is written and removed), an S3
// bucket answers and exists. Readiness checks (/readyz) call it.
func (s *Service) Ping(ctx context.Context) error {
	return PingStore(ctx, s.store)
}

// PingStore checks a store as Service.Ping does; a store of another kind
// passes when it answers Has.
func PingStore(ctx context.Context, st Store) error {
	switch st := st.(type) {
	case *FS:
		f, err := os.CreateTemp(filepath.Join(st.dir, "tmp"), ".ping-*")
		if err != nil {
			return fmt.Errorf("archive store %s not writable: %w", st.dir, err)
		}
		name := f.Name()
		err = f.Close()
		if rmErr := os.Remove(name); err == nil {
			err = rmErr
		}
		if err != nil {
			return fmt.Errorf("archive store %s: %w", st.dir, err)
		}
		return nil
	case *S3:
		ok, err := st.c.BucketExists(ctx, st.bucket)
		if err != nil {
			return fmt.Errorf("archive bucket %s: %w", st.bucket, err)
		}
		if !ok {
			return fmt.Errorf("archive bucket %s does not exist", st.bucket)
		}
		return nil
	}
	if _, err := st.Has(ctx, "0000000000000000000000000000000000000000000000000000000000000000"); err != nil {
		return fmt.Errorf("archive store: %w", err)
	}
	return nil
}
