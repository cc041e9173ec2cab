package archive_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
)

func newS3Store(t *testing.T, srv *s3Server) *archive.S3 {
	t.Helper()
	s, err := archive.NewS3(context.Background(), archive.S3Params{Endpoint: srv.endpoint, Bucket: srv.bucket,
		AccessKey: srv.access, SecretKey: srv.secret, Prefix: "segments/", SpoolDir: t.TempDir()})
	require.NoError(t, err)
	return s
}

// failingReader fails if anyone reads it.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) {
	return 0, errors.New("read an upload that was already stored")
}

func TestS3StoreKeepsWhatHashesToItsKey(t *testing.T) {
	ctx := context.Background()
	srv := startS3(t)
	s := newS3Store(t, srv)
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	k := key(data)

	n, err := s.Put(ctx, k, bytes.NewReader(data), 1<<20)
	require.NoError(t, err)
	require.EqualValues(t, len(data), n)
	ok, err := s.Has(ctx, k)
	require.NoError(t, err)
	require.True(t, ok)
	// Immutable: a second Put keeps the object and reads nothing.
	n, err = s.Put(ctx, k, failingReader{}, 1<<20)
	require.NoError(t, err)
	require.EqualValues(t, len(data), n)

	// Range reads for playback.
	o, err := s.Open(ctx, k)
	require.NoError(t, err)
	require.EqualValues(t, len(data), o.Size())
	_, err = o.Seek(40000, io.SeekStart)
	require.NoError(t, err)
	buf := make([]byte, 100)
	_, err = io.ReadFull(o, buf)
	require.NoError(t, err)
	require.Equal(t, data[40000:40100], buf)
	end, err := o.Seek(0, io.SeekEnd)
	require.NoError(t, err)
	require.EqualValues(t, len(data), end)
	require.NoError(t, o.Close())

	// Refusals store nothing, and the spool is left empty.
	wrong := append([]byte(nil), data...)
	wrong[5] ^= 1
	other := key([]byte("other"))
	_, err = s.Put(ctx, other, bytes.NewReader(wrong), 1<<20)
	require.ErrorIs(t, err, archive.ErrHashMismatch)
	_, err = s.Put(ctx, key(wrong), bytes.NewReader(wrong), 1000)
	require.ErrorIs(t, err, archive.ErrTooLarge)
	for _, k := range []string{other, key(wrong)} {
		ok, err := s.Has(ctx, k)
		require.NoError(t, err)
		require.False(t, ok)
	}
	_, err = s.Open(ctx, other)
	require.ErrorIs(t, err, archive.ErrNotFound)
	_, err = s.Put(ctx, "../../etc/passwd", bytes.NewReader(data), 1<<20)
	require.ErrorIs(t, err, archive.ErrBadKey)
	objects := 0
	for o := range srv.client.ListObjects(ctx, srv.bucket, minio.ListObjectsOptions{Recursive: true}) {
		require.NoError(t, o.Err)
		require.Equal(t, "segments/"+k[0:2]+"/"+k[2:4]+"/"+k, o.Key)
		objects++
	}
	require.Equal(t, 1, objects)

	_, err = archive.NewS3(ctx, archive.S3Params{Endpoint: srv.endpoint, Bucket: "missing", AccessKey: srv.access, SecretKey: srv.secret})
	require.ErrorIs(t, err, archive.ErrInvalid)
}

// TestS3ArchiveVerifiesAndExports runs the archive on the S3 store: uploads,
// a session verification that finds an object altered behind the
// archive's back, and an export that verifies offline.
func TestS3ArchiveVerifiesAndExports(t *testing.T) {
	ctx := context.Background()
	srv := startS3(t)
	e := newEnvOn(t, newS3Store(t, srv))
	_, _, sa, _ := twoRooms(t, e)

	x, err := e.svc.PrepareExport(ctx, archive.ExportRequest{Actor: "user:2", Selection: sessionSel})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = x.Write(ctx, &buf)
	require.NoError(t, err)
	rep, err := evidence.Verify(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), evidence.VerifyOptions{})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
	require.Equal(t, 6, rep.Slices[0].Segments+rep.Slices[1].Segments)

	// The posix backend keeps the object as a file: change a byte of it.
	k := sa[0].hash
	p := filepath.Join(srv.root, srv.bucket, "segments", k[0:2], k[2:4], k)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[10] ^= 1
	require.NoError(t, os.WriteFile(p, data, 0o644))
	vr, err := e.svc.VerifySession(ctx, "user:3", sessionSel)
	require.NoError(t, err)
	require.False(t, vr.OK)
	require.Equal(t, evidence.KindSegmentHash, vr.First.Kind)
	require.Equal(t, "segment:"+k, vr.First.Name)
}

// newEnvOn is newEnv with the given store.
func newEnvOn(t *testing.T, store archive.Store) *env {
	t.Helper()
	var db *pgxpool.Pool = testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), db, audit.Migrations, archive.Migrations)
	require.NoError(t, err)
	e := &env{db: db, keys: registry{}, clock: testenv.NewClock(t0.Add(time.Hour))}
	e.audit = audit.New(db, audit.WithClock(e.clock.Now))
	e.svc, err = archive.New(archive.Params{DB: db, Store: store, Keys: e.keys, Audit: e.audit, Now: e.clock.Now, MaxSegmentBytes: 1 << 20})
	require.NoError(t, err)
	return e
}
