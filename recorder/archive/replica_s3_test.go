package archive_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive"
)

// TestS3Replica replicates to an S3 bucket (versitygw): the segments
// under the prefix as in a primary S3 store, the manifests under
// prefix+"manifests/"; the check reads them back and names one altered
// behind the store's back.
func TestS3Replica(t *testing.T) {
	ctx := context.Background()
	srv := startS3(t)
	e := newEnv(t)
	replica, err := archive.OpenReplica(ctx, archive.StoreConfig{Kind: archive.StoreS3, Dir: t.TempDir(), S3: archive.S3Params{
		Endpoint: srv.endpoint, Bucket: srv.bucket, AccessKey: srv.access, SecretKey: srv.secret, Prefix: "segments/"}})
	require.NoError(t, err)
	r := rewire(t, e, replica, "")
	rec := newRecorder(t, r.env, "edge-nj-1", 4, true)
	var segs []seg
	for i := range 2 {
		s := rec.segment(t, t0.Add(time.Duration(i)*10*time.Second), 10*time.Second)
		upload(t, r.env, rec, s)
		segs = append(segs, s)
	}
	n, err := r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	for _, s := range segs {
		k := s.hash
		data, err := os.ReadFile(filepath.Join(srv.root, srv.bucket, "segments", k[0:2], k[2:4], k))
		require.NoError(t, err)
		require.Equal(t, s.data, data)
		m := mustLink(t, s)
		require.FileExists(t, filepath.Join(srv.root, srv.bucket, "segments", "manifests", m[0:2], m[2:4], m))
	}
	rep, err := r.repl.CheckReplica(ctx)
	require.NoError(t, err)
	require.True(t, rep.Clean(), "%+v", rep.Problems)

	// A primary S3 store on the replica's prefix reads the segments.
	primary, err := archive.NewS3(ctx, archive.S3Params{Endpoint: srv.endpoint, Bucket: srv.bucket, AccessKey: srv.access,
		SecretKey: srv.secret, Prefix: "segments/", SpoolDir: t.TempDir()})
	require.NoError(t, err)
	has, err := primary.Has(ctx, segs[1].hash)
	require.NoError(t, err)
	require.True(t, has)

	k := segs[1].hash
	p := filepath.Join(srv.root, srv.bucket, "segments", k[0:2], k[2:4], k)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[5] ^= 0x01
	require.NoError(t, os.WriteFile(p, data, 0o644))
	rep, err = r.repl.CheckReplica(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Differs)
	require.Equal(t, archive.ProblemSegmentDiffers, rep.Problems[0].Kind)
	require.Equal(t, k, rep.Problems[0].Segment)
}
