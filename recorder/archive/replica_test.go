package archive_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive"
)

// replicated is an archive whose accepted segments are replicated to a
// folder of the test's.
type replicated struct {
	*env
	repl       *archive.Replicator
	replica    archive.Replica
	replicaDir string
}

// newReplicated is newEnv with an FS replica and a Replicator wired into
// the service (its worker is not started: tests call Drain).
func newReplicated(t *testing.T) *replicated {
	t.Helper()
	e := newEnv(t)
	dir := t.TempDir()
	replica, err := archive.OpenReplica(context.Background(), archive.StoreConfig{Kind: archive.StoreFS, Dir: dir})
	require.NoError(t, err)
	return rewire(t, e, replica, dir)
}

// rewire gives e's service a Replicator to replica.
func rewire(t *testing.T, e *env, replica archive.Replica, dir string) *replicated {
	t.Helper()
	repl, err := archive.NewReplicator(archive.ReplicatorParams{DB: e.db, Primary: e.store, Replica: replica, Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, repl.Close()) })
	e.svc, err = archive.New(archive.Params{DB: e.db, Store: e.store, Keys: e.keys, Audit: e.audit, Now: e.clock.Now,
		MaxSegmentBytes: 1 << 20, Replicator: repl})
	require.NoError(t, err)
	return &replicated{env: e, repl: repl, replica: replica, replicaDir: dir}
}

// replicaPath is where the FS replica keeps a segment; manifestPath
// where it keeps a manifest.
func (r *replicated) replicaPath(key string) string {
	return filepath.Join(r.replicaDir, key[0:2], key[2:4], key)
}

func (r *replicated) manifestPath(key string) string {
	return filepath.Join(r.replicaDir, archive.ManifestsFolder, key[0:2], key[2:4], key)
}

func stats(t *testing.T, r *replicated) archive.ReplicationStats {
	t.Helper()
	st, err := r.svc.ReplicationStats(context.Background())
	require.NoError(t, err)
	return st
}

func TestAcceptedSegmentsAndManifestsReachTheReplica(t *testing.T) {
	ctx := context.Background()
	r := newReplicated(t)
	rec := newRecorder(t, r.env, "edge-nj-1", 4, true)
	var segs []seg
	for i := range 3 {
		s := rec.segment(t, t0.Add(time.Duration(i)*10*time.Second), 10*time.Second)
		upload(t, r.env, rec, s)
		segs = append(segs, s)
	}
	// Acceptance only queued them: nothing is copied in the upload.
	st := stats(t, r)
	require.Equal(t, archive.ReplicationStats{Pending: 3, OldestWaiting: t0.Add(time.Hour)}, st)
	require.NoFileExists(t, r.replicaPath(segs[0].hash))

	n, err := r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, archive.ReplicationStats{Done: 3}, stats(t, r))
	for _, s := range segs {
		data, err := os.ReadFile(r.replicaPath(s.hash))
		require.NoError(t, err)
		require.Equal(t, s.data, data)
		// The manifest is the recorder's signed file (without its
		// newline), under its SHA-256: for a SHA-256 chain, its link hash.
		link, err := s.m.Hash()
		require.NoError(t, err)
		data, err = os.ReadFile(r.manifestPath(link.String()))
		require.NoError(t, err)
		require.Equal(t, bytes.TrimSuffix(s.raw, []byte("\n")), data)
	}
	n, err = r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to copy")

	rep, err := r.repl.CheckReplica(ctx)
	require.NoError(t, err)
	require.True(t, rep.Clean(), "%+v", rep.Problems)
	require.Equal(t, 3, rep.OK)
	require.Equal(t, 3, rep.Segments)
}

func TestAFailedReplicaCopyIsRetriedFromTheQueue(t *testing.T) {
	ctx := context.Background()
	r := newReplicated(t)
	rec := newRecorder(t, r.env, "edge-nj-1", 4, true)
	s := rec.segment(t, t0, 10*time.Second)

	// The replica's disk is gone: the upload is not held up, the copy
	// fails and waits in the queue.
	aside := r.replicaDir + ".aside"
	require.NoError(t, os.Rename(r.replicaDir, aside))
	require.NoError(t, os.WriteFile(r.replicaDir, []byte("not a folder"), 0o600))
	upload(t, r.env, rec, s)
	n, err := r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, archive.ReplicationStats{Failed: 1, OldestWaiting: t0.Add(time.Hour)}, stats(t, r))
	var attempts int
	var lastErr string
	var next time.Time
	require.NoError(t, r.db.QueryRow(ctx, `SELECT attempts, last_error, next_attempt_at FROM archive.replication WHERE segment_hash = $1`,
		s.hash).Scan(&attempts, &lastErr, &next))
	require.Equal(t, 1, attempts)
	require.Contains(t, lastErr, s.hash)
	require.Equal(t, t0.Add(time.Hour+archive.DefaultReplicaRetry), next.UTC())

	// Not before its retry time, even with the replica back.
	require.NoError(t, os.Remove(r.replicaDir))
	require.NoError(t, os.Rename(aside, r.replicaDir))
	n, err = r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	// A second failure waits twice as long.
	require.NoError(t, os.Rename(r.replicaDir, aside))
	require.NoError(t, os.WriteFile(r.replicaDir, nil, 0o600))
	r.clock.Advance(archive.DefaultReplicaRetry)
	n, err = r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, r.db.QueryRow(ctx, `SELECT attempts, next_attempt_at FROM archive.replication WHERE segment_hash = $1`,
		s.hash).Scan(&attempts, &next))
	require.Equal(t, 2, attempts)
	require.Equal(t, r.clock.Now().Add(2*archive.DefaultReplicaRetry), next.UTC())

	require.NoError(t, os.Remove(r.replicaDir))
	require.NoError(t, os.Rename(aside, r.replicaDir))
	r.clock.Advance(2 * archive.DefaultReplicaRetry)
	n, err = r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, archive.ReplicationStats{Done: 1}, stats(t, r))
	require.FileExists(t, r.replicaPath(s.hash))
}

func TestADamagedPrimaryIsNeverCopied(t *testing.T) {
	ctx := context.Background()
	r := newReplicated(t)
	rec := newRecorder(t, r.env, "edge-nj-1", 4, true)
	s := rec.segment(t, t0, 10*time.Second)
	upload(t, r.env, rec, s)
	corrupt(t, r.env, s.hash)

	n, err := r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoFileExists(t, r.replicaPath(s.hash))
	var lastErr string
	require.NoError(t, r.db.QueryRow(ctx, `SELECT last_error FROM archive.replication WHERE segment_hash = $1`, s.hash).Scan(&lastErr))
	require.Contains(t, lastErr, "content does not match its hash")

	rep, err := r.repl.ReplicateAll(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Failed)
	require.Equal(t, archive.ProblemCopyFailed, rep.Problems[0].Kind)
	require.Equal(t, s.hash, rep.Problems[0].Segment)
}

func TestReplicaCheckAndCatchUp(t *testing.T) {
	ctx := context.Background()
	r := newReplicated(t)
	rec := newRecorder(t, r.env, "edge-nj-1", 4, true)
	var segs []seg
	for i := range 4 {
		s := rec.segment(t, t0.Add(time.Duration(i)*10*time.Second), 10*time.Second)
		upload(t, r.env, rec, s)
		segs = append(segs, s)
	}
	_, err := r.repl.Drain(ctx)
	require.NoError(t, err)

	// Someone removes a segment and a manifest from the replica and
	// alters a byte of another segment there.
	require.NoError(t, os.Remove(r.replicaPath(segs[0].hash)))
	link, err := segs[1].m.Hash()
	require.NoError(t, err)
	require.NoError(t, os.Remove(r.manifestPath(link.String())))
	altered := r.replicaPath(segs[2].hash)
	require.NoError(t, os.Chmod(altered, 0o640))
	data, err := os.ReadFile(altered)
	require.NoError(t, err)
	data[100] ^= 0x40
	require.NoError(t, os.WriteFile(altered, data, 0o640))

	rep, err := r.repl.CheckReplica(ctx)
	require.NoError(t, err)
	require.False(t, rep.Clean())
	require.Equal(t, 4, rep.Segments)
	require.Equal(t, 1, rep.OK)
	require.Equal(t, 2, rep.Missing)
	require.Equal(t, 1, rep.Differs)
	kinds := map[string]string{}
	for _, p := range rep.Problems {
		kinds[p.Segment] = p.Kind
		require.Equal(t, "edge-nj-1", p.Recorder)
		require.EqualValues(t, 7, p.Session)
	}
	require.Equal(t, map[string]string{
		segs[0].hash: archive.ProblemSegmentMissing,
		segs[1].hash: archive.ProblemManifestMissing,
		segs[2].hash: archive.ProblemSegmentDiffers,
	}, kinds)
	require.FileExists(t, r.manifestPath(mustLink(t, segs[0])), "check changes nothing")
	require.NoFileExists(t, r.replicaPath(segs[0].hash), "check changes nothing")

	// The catch-up copies what is missing and names what it may not
	// overwrite.
	rep, err = r.repl.ReplicateAll(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, rep.Segments)
	require.Equal(t, 2, rep.Copied)
	require.Equal(t, 3, rep.OK)
	require.Equal(t, 1, rep.Differs)
	require.Equal(t, segs[2].hash, rep.Problems[0].Segment)
	require.Equal(t, archive.ProblemSegmentDiffers, rep.Problems[0].Kind)
	require.Equal(t, archive.ReplicationStats{Done: 3, Failed: 1, OldestWaiting: t0.Add(time.Hour)}, stats(t, r))

	// Once the altered copy is moved aside, the catch-up replaces it.
	require.NoError(t, os.Rename(altered, filepath.Join(t.TempDir(), "altered")))
	rep, err = r.repl.ReplicateAll(ctx)
	require.NoError(t, err)
	require.True(t, rep.Clean(), "%+v", rep.Problems)
	require.Equal(t, 1, rep.Copied)
	rep, err = r.repl.CheckReplica(ctx)
	require.NoError(t, err)
	require.True(t, rep.Clean(), "%+v", rep.Problems)
	require.Equal(t, archive.ReplicationStats{Done: 4}, stats(t, r))
}

func mustLink(t *testing.T, s seg) string {
	t.Helper()
	link, err := s.m.Hash()
	require.NoError(t, err)
	return link.String()
}

// TestReplicatorWorker runs the worker: it queues and copies what was
// accepted before replication was configured, and copies a new
// acceptance without being asked; Close stops it.
func TestReplicatorWorker(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec := newRecorder(t, e, "edge-nj-1", 4, true)
	old := rec.segment(t, t0, 10*time.Second)
	upload(t, e, rec, old)

	dir := t.TempDir()
	replica, err := archive.OpenReplica(ctx, archive.StoreConfig{Dir: dir})
	require.NoError(t, err)
	r := rewire(t, e, replica, dir)
	r.repl.Start()
	r.repl.Start() // twice is harmless
	require.Eventually(t, func() bool { return stats(t, r).Done == 1 }, 20*time.Second, 10*time.Millisecond)
	require.FileExists(t, r.replicaPath(old.hash))

	s := rec.segment(t, t0.Add(10*time.Second), 10*time.Second)
	upload(t, r.env, rec, s)
	require.Eventually(t, func() bool { return stats(t, r).Done == 2 }, 20*time.Second, 10*time.Millisecond)
	require.FileExists(t, r.replicaPath(s.hash))
	require.NoError(t, r.repl.Close())
	require.NoError(t, r.repl.Close())
}

// TestTheArchiveRunsFromItsReplica: the primary store is lost; an
// archive service on the replica's segments verifies the session, and
// names a replica byte altered afterwards.
func TestTheArchiveRunsFromItsReplica(t *testing.T) {
	ctx := context.Background()
	r := newReplicated(t)
	_, _, sa, _ := twoRooms(t, r.env)
	_, err := r.repl.Drain(ctx)
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(r.dir))

	svc, err := archive.New(archive.Params{DB: r.db, Store: r.replica.Segments, Keys: r.keys, Audit: r.audit, Now: r.clock.Now})
	require.NoError(t, err)
	rep, err := svc.VerifySession(ctx, "user:3", sessionSel)
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep.First)
	require.Equal(t, 6, rep.Segments)

	p := r.replicaPath(sa[1].hash)
	require.NoError(t, os.Chmod(p, 0o640))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[0] ^= 1
	require.NoError(t, os.WriteFile(p, data, 0o640))
	rep, err = svc.VerifySession(ctx, "user:3", sessionSel)
	require.NoError(t, err)
	require.False(t, rep.OK)
	require.Equal(t, "segment:"+sa[1].hash, rep.First.Name)
}

func TestNewReplicatorRefusesMissingParts(t *testing.T) {
	e := newEnv(t)
	replica, err := archive.OpenReplica(context.Background(), archive.StoreConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		p    archive.ReplicatorParams
	}{
		{"no database", archive.ReplicatorParams{Primary: e.store, Replica: replica}},
		{"no primary", archive.ReplicatorParams{DB: e.db, Replica: replica}},
		{"no replica", archive.ReplicatorParams{DB: e.db, Primary: e.store}},
		{"negative interval", archive.ReplicatorParams{DB: e.db, Primary: e.store, Replica: replica, Interval: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := archive.NewReplicator(tc.p)
			require.ErrorIs(t, err, archive.ErrInvalid)
		})
	}
	_, err = archive.OpenReplica(context.Background(), archive.StoreConfig{Kind: "tape"})
	require.ErrorIs(t, err, archive.ErrInvalid)
}

// TestReplicationLeavesExpiredSegmentsAlone: once the retention job has
// deleted a segment from both copies, replication neither counts, copies
// nor reports it.
func TestReplicationLeavesExpiredSegmentsAlone(t *testing.T) {
	ctx := context.Background()
	r := newReplicated(t)
	rec := newRecorder(t, r.env, "edge-nj-1", 4, true)
	old := rec.segment(t, t0, 10*time.Second)
	upload(t, r.env, rec, old)
	_, err := r.repl.Drain(ctx)
	require.NoError(t, err)
	rec.session = "10"
	pending := rec.segment(t, t0.Add(time.Minute), 10*time.Second)
	upload(t, r.env, rec, pending) // queued, not copied yet

	book := sessionBook{
		7:  {sel: archive.Selection{Session: 7, Rooms: []int64{4}, From: t0, To: t0.Add(time.Minute)}, ended: t0.Add(time.Minute)},
		10: {sel: archive.Selection{Session: 10, Rooms: []int64{4}, From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}, ended: t0.Add(2 * time.Minute)},
	}
	replicaSegs, ok := r.replica.Segments.(archive.Remover)
	require.True(t, ok)
	r.clock.Set(t0.AddDate(15, 1, 0))
	rep, err := r.retention(t, book, replicaSegs).Expire(ctx, "system:retention", false)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Expired)
	require.NoFileExists(t, r.replicaPath(old.hash), "retention removed the replica's copy")

	require.Equal(t, archive.ReplicationStats{}, stats(t, r))
	n, err := r.repl.Drain(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoFileExists(t, r.replicaPath(pending.hash), "an expired segment is not copied back")
	check, err := r.repl.CheckReplica(ctx)
	require.NoError(t, err)
	require.True(t, check.Clean(), "%+v", check.Problems)
	require.Zero(t, check.Segments)
	all, err := r.repl.ReplicateAll(ctx)
	require.NoError(t, err)
	require.Zero(t, all.Segments)
}
