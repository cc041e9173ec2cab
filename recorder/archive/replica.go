package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
)

// ErrReplicaDiffers is returned when a replica object's bytes do not hash
// to its key: the second copy was altered or damaged. Replication never
// overwrites an object, so it stays until an operator moves it aside
// (then `evalroomctl archive replicate` copies it again).
var ErrReplicaDiffers = errors.New("archive: replica differs from its hash")

// ManifestsFolder is where a replica keeps the signed manifests: a
// subfolder of the FS replica's folder, or a key prefix after the S3
// replica's prefix.
const ManifestsFolder = "manifests"

// Replica is the archive's second copy: the segments, in a store laid
// out as the primary one (so the archive can run from it after losing
// the primary), and the signed manifests, in a store of their own keyed
// by the SHA-256 of their canonical bytes.
type Replica struct {
	// Segments holds the segments' bytes under their hash.
	Segments Store
	// Manifests holds each manifest's canonical bytes (the manifest
	// file without its newline) under their SHA-256.
	Manifests Store
}

// OpenReplica opens the replica c names: its segments in the store c
// describes and its manifests in ManifestsFolder inside it. Errors: as
// OpenStore.
func OpenReplica(ctx context.Context, c StoreConfig) (Replica, error) {
	segs, err := OpenStore(ctx, c)
	if err != nil {
		return Replica{}, fmt.Errorf("replica: %w", err)
	}
	m := c
	switch c.Kind {
	case "", StoreFS:
		m.Dir = filepath.Join(c.Dir, ManifestsFolder)
	case StoreS3:
		if m.S3.SpoolDir == "" && c.Dir != "" {
			m.S3.SpoolDir = filepath.Join(c.Dir, "tmp")
		}
		m.S3.Prefix = c.S3.Prefix + ManifestsFolder + "/"
	}
	mans, err := OpenStore(ctx, m)
	if err != nil {
		return Replica{}, fmt.Errorf("replica manifests: %w", err)
	}
	return Replica{Segments: segs, Manifests: mans}, nil
}

// ManifestKey is the replica key of a manifest: the hex SHA-256 of its
// canonical bytes.
func ManifestKey(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// checkObject reads key back from s and hashes it: false when s does
// not hold it, ErrReplicaDiffers when its bytes do not hash to key.
func checkObject(ctx context.Context, s Store, key string) (bool, int64, error) {
	o, err := s.Open(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("open %s: %w", key, err)
	}
	defer o.Close()
	h := sha256.New()
	n, err := io.Copy(h, &ctxReader{ctx: ctx, r: o})
	if err != nil {
		return true, n, fmt.Errorf("read %s: %w", key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != key {
		return true, n, fmt.Errorf("%w: %s holds %d bytes hashing to %s", ErrReplicaDiffers, key, n, got)
	}
	return true, n, nil
}
