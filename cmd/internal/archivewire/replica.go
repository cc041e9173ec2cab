package archivewire

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/recorder/archive"
)

// ReplicaConfig is the archive's second copy the configuration names:
// the folder archive.replica_dir, or the S3 bucket of
// archive.replica_s3_* with its spool in archive.replica_dir (or
// archive.dir/tmp). ok is false when archive.replica_store is empty (no
// replica). Errors wrap archive.ErrInvalid: an unknown kind, a missing
// folder or bucket, or a replica in the very place of the primary store.
func ReplicaConfig(c config.Archive) (sc archive.StoreConfig, ok bool, err error) {
	if c.ReplicaStore == "" {
		return archive.StoreConfig{}, false, nil
	}
	sc = archive.StoreConfig{Kind: c.ReplicaStore, Dir: c.ReplicaDir, S3: archive.S3Params{
		Endpoint: c.ReplicaS3Endpoint, Bucket: c.ReplicaS3Bucket, AccessKey: c.ReplicaS3AccessKey,
		SecretKey: c.ReplicaS3SecretKey, UseSSL: c.ReplicaS3UseSSL, Region: c.ReplicaS3Region, Prefix: c.ReplicaS3Prefix,
	}}
	primary := StoreConfig(c)
	switch c.ReplicaStore {
	case archive.StoreFS:
		if c.ReplicaDir == "" {
			return sc, false, fmt.Errorf("%w: archive.replica_dir: required for replica_store fs", archive.ErrInvalid)
		}
		if (primary.Kind == "" || primary.Kind == archive.StoreFS) && samePath(c.ReplicaDir, c.Dir) {
			return sc, false, fmt.Errorf("%w: archive.replica_dir %s is archive.dir: the second copy must be elsewhere (another disk or mount)",
				archive.ErrInvalid, c.ReplicaDir)
		}
	case archive.StoreS3:
		if c.ReplicaDir == "" && c.Dir != "" {
			sc.S3.SpoolDir = filepath.Join(c.Dir, "tmp")
		}
		if primary.Kind == archive.StoreS3 && c.ReplicaS3Endpoint == c.S3Endpoint && c.ReplicaS3Bucket == c.S3Bucket &&
			c.ReplicaS3Prefix == c.S3Prefix {
			return sc, false, fmt.Errorf("%w: archive.replica_s3_*: the replica is the primary bucket %s/%s: the second copy must be elsewhere",
				archive.ErrInvalid, c.S3Bucket, c.S3Prefix)
		}
	default:
		return sc, false, fmt.Errorf("%w: archive.replica_store %q: use %s, %s or leave it empty", archive.ErrInvalid,
			c.ReplicaStore, archive.StoreFS, archive.StoreS3)
	}
	return sc, true, nil
}

// samePath reports whether two folder names are the same folder name
// once cleaned and made absolute.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// OpenReplicator opens the replica the configuration names and returns a
// Replicator copying to it from primary (not started); nil when no
// replica is configured.
func OpenReplicator(ctx context.Context, c config.Archive, db *pgxpool.Pool, primary archive.Store, p archive.ReplicatorParams) (*archive.Replicator, error) {
	sc, ok, err := ReplicaConfig(c)
	if err != nil || !ok {
		return nil, err
	}
	replica, err := archive.OpenReplica(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("archive replica %s: %w", c.ReplicaStore, err)
	}
	p.DB, p.Primary, p.Replica = db, primary, replica
	if p.Now == nil {
		p.Now = time.Now
	}
	return archive.NewReplicator(p)
}
