package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/minio/minio-go/v7"

	"github.com/evalroom/evalroom/internal/fsutil"
)

var (
	_ Remover = (*FS)(nil)
	_ Remover = (*S3)(nil)
)

// Remove implements Remover: the object's file goes, and its folder
// entry is synced. Only the retention job calls it.
func (s *FS) Remove(_ context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	p := s.path(key)
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("archive remove %s: %w", key, err)
	}
	if err := fsutil.SyncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("archive remove %s: %w", key, err)
	}
	return nil
}

// Remove implements Remover with one DELETE of the object (S3 answers
// success for an absent one). On a versioned bucket this leaves a delete
// marker; a bucket whose object lock still retains the object refuses,
// and the tombstone waits for the next run.
func (s *S3) Remove(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{}); err != nil {
		resp := minio.ToErrorResponse(err)
		if resp.Code == "NoSuchKey" || resp.Code == "NotFound" {
			return nil
		}
		return fmt.Errorf("s3 remove %s: %w", key, err)
	}
	return nil
}
