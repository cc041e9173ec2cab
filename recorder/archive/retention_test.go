package archive_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// sessionBook is the sessions the retention job asks about: what each
// one's evidence covers and when it ended (zero: still running).
type sessionBook map[int64]bookedSession

type bookedSession struct {
	sel   archive.Selection
	ended time.Time
}

func (b sessionBook) SessionEvidence(_ context.Context, id int64) (archive.Selection, time.Time, error) {
	s, ok := b[id]
	if !ok {
		return archive.Selection{}, time.Time{}, fmt.Errorf("%w: session %d", archive.ErrNotFound, id)
	}
	return s.sel, s.ended, nil
}

// untagged writes a segment recorded outside any session (no session id
// in its manifest) and signs it into r's chain.
func (r *recorder) untagged(t *testing.T, start time.Time, d time.Duration) seg {
	t.Helper()
	seq, _ := r.chain.Head()
	name := fmt.Sprintf("seg-%06d.mp4", seq+1)
	data := make([]byte, 2000)
	_, err := rand.Read(data)
	require.NoError(t, err)
	path := filepath.Join(r.dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	m, err := manifest.Build(path, manifest.Info{Recorder: r.id, Room: strconv.FormatInt(r.room, 10), Start: start, End: start.Add(d),
		Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 1280, Height: 720, FPS: 25}}})
	require.NoError(t, err)
	m, err = r.chain.Append(m)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(r.dir, manifest.ManifestName(name)))
	require.NoError(t, err)
	return seg{data: data, hash: key(data), raw: raw, m: m}
}

// retentionArchive is an archive recorded in 2026:
//   - session 7 (room 4, edge-nj-1 seqs 1–3) ended a minute after t0;
//   - edge-nj-1 seq 4 was recorded in room 4 outside any session;
//   - session 10 (room 4, edge-nj-1 seq 5) ended two years later;
//   - session 8 (room 5: edge-hf-1 seqs 1–2 and an untagged seq 3 inside
//     its span; room 13: edge-sz-1 seqs 1–2) ended at t0+1h;
//   - session 9 (room 6, edge-gz-1 seq 1) has not ended.
type retentionArchive struct {
	nj, hf, sz, gz []seg
	book           sessionBook
}

func newRetentionArchive(t *testing.T, e *env) retentionArchive {
	t.Helper()
	var a retentionArchive
	nj := newRecorder(t, e, "edge-nj-1", 4, true)
	for i := range 3 {
		a.nj = append(a.nj, nj.segment(t, t0.Add(time.Duration(i)*10*time.Second), 10*time.Second))
	}
	a.nj = append(a.nj, nj.untagged(t, t0.Add(10*time.Minute), 10*time.Second))
	nj.session = "10"
	a.nj = append(a.nj, nj.segment(t, t0.Add(20*time.Minute), 10*time.Second))
	hf := newRecorder(t, e, "edge-hf-1", 5, true)
	hf.session = "8"
	a.hf = append(a.hf, hf.segment(t, t0, 10*time.Second), hf.segment(t, t0.Add(10*time.Second), 10*time.Second),
		hf.untagged(t, t0.Add(20*time.Second), 10*time.Second))
	sz := newRecorder(t, e, "edge-sz-1", 13, true)
	sz.session = "8"
	a.sz = append(a.sz, sz.segment(t, t0, 10*time.Second), sz.segment(t, t0.Add(10*time.Second), 10*time.Second))
	gz := newRecorder(t, e, "edge-gz-1", 6, true)
	gz.session = "9"
	a.gz = append(a.gz, gz.segment(t, t0, 10*time.Second))
	for r, segs := range map[*recorder][]seg{nj: a.nj, hf: a.hf, sz: a.sz, gz: a.gz} {
		for _, s := range segs {
			upload(t, e, r, s)
		}
	}
	a.book = sessionBook{
		7:  {sel: archive.Selection{Session: 7, Rooms: []int64{4}, From: t0, To: t0.Add(time.Minute)}, ended: t0.Add(time.Minute)},
		10: {sel: archive.Selection{Session: 10, Rooms: []int64{4}, From: t0.Add(20 * time.Minute), To: t0.Add(21 * time.Minute)}, ended: t0.AddDate(2, 0, 0)},
		8:  {sel: archive.Selection{Session: 8, Rooms: []int64{5, 13}, From: t0, To: t0.Add(time.Hour)}, ended: t0.Add(time.Hour)},
		9:  {sel: archive.Selection{Session: 9, Rooms: []int64{6}, From: t0, To: t0.Add(time.Hour)}},
	}
	return a
}

func (e *env) retention(t *testing.T, book sessionBook, replicas ...archive.Remover) *archive.Retention {
	t.Helper()
	r, err := archive.NewRetention(archive.RetentionParams{Service: e.svc, Years: 15, Sessions: book, Replicas: replicas, Batch: 2})
	require.NoError(t, err)
	return r
}

// live reports whether segment s is indexed, not deleted, and playable.
func (e *env) live(t *testing.T, s seg) bool {
	t.Helper()
	ctx := context.Background()
	g, err := e.svc.Segment(ctx, s.hash)
	require.NoError(t, err, "the index row is never dropped")
	o, _, err := e.svc.Open(ctx, s.hash)
	if err == nil {
		o.Close()
	}
	_, statErr := os.Stat(e.blobPath(s.hash))
	if g.Tombstone == nil {
		require.NoError(t, err)
		require.NoError(t, statErr)
		require.NotEqual(t, archive.StateDeleted, g.State)
		return true
	}
	require.ErrorIs(t, err, archive.ErrNotFound)
	require.Contains(t, err.Error(), "超过保存期限删除")
	require.ErrorIs(t, statErr, os.ErrNotExist, "the bytes left the store")
	require.Equal(t, archive.StateDeleted, g.State)
	return false
}

func hashes(xs []archive.ExpiredSegment) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Hash)
	}
	return out
}

func TestRetentionDeletesExpiredUnheldSegmentsAndAuditsEach(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := newRetentionArchive(t, e)
	ret := e.retention(t, a.book)
	hold, err := e.svc.PlaceHold(ctx, "user:2", 8, archive.HoldInput{Room: 5, Reason: "（2026）苏01民初123号 诉讼保全"})
	require.NoError(t, err)

	// Today nothing is past retention.
	rep, err := ret.Expire(ctx, "system:retention", false)
	require.NoError(t, err)
	require.Zero(t, rep.Expired)
	require.Zero(t, rep.Held)

	// Sixteen years later: a dry run says what would go and changes nothing.
	e.clock.Set(t0.AddDate(16, 0, 0))
	dry, err := ret.Expire(ctx, "cli:evalroomctl", true)
	require.NoError(t, err)
	require.True(t, dry.DryRun)
	want := []string{a.nj[0].hash, a.nj[1].hash, a.nj[2].hash, a.sz[0].hash, a.sz[1].hash, a.nj[3].hash}
	require.ElementsMatch(t, want, hashes(dry.Segments))
	require.Equal(t, 6, dry.Expired)
	require.Equal(t, 3, dry.Held, "room 5 of session 8: its two segments and the untagged one in its span")
	require.Equal(t, 2, dry.Kept, "session 10 ended 14 years ago; session 9 has not ended")
	require.Equal(t, t0.AddDate(1, 0, 0), dry.Cutoff)
	for _, s := range append(append([]seg{}, a.nj...), a.sz...) {
		require.True(t, e.live(t, s), "a dry run deletes nothing")
	}
	entries, err := e.audit.List(ctx, audit.Filter{Action: "archive.expire"})
	require.NoError(t, err)
	require.Empty(t, entries)

	rep, err = ret.Expire(ctx, "system:retention", false)
	require.NoError(t, err)
	require.ElementsMatch(t, want, hashes(rep.Segments))
	require.Equal(t, 6, rep.BlobsRemoved)
	for _, s := range []seg{a.nj[0], a.nj[1], a.nj[2], a.nj[3], a.sz[0], a.sz[1]} {
		require.False(t, e.live(t, s), "expired and not held: deleted")
	}
	for _, s := range []seg{a.nj[4], a.hf[0], a.hf[1], a.hf[2], a.gz[0]} {
		require.True(t, e.live(t, s), "held or not yet expired: kept")
	}
	g, err := e.svc.Segment(ctx, a.nj[0].hash)
	require.NoError(t, err)
	require.Equal(t, "system:retention", g.Tombstone.DeletedBy)
	require.Equal(t, t0.AddDate(16, 0, 0), g.Tombstone.DeletedAt)
	require.Contains(t, g.Tombstone.Reason, "超过保存期限 15 年：评标 7")
	require.NotNil(t, g.Tombstone.BlobRemovedAt)
	require.Equal(t, a.nj[0].m.Signature, g.Manifest.Signature, "the tombstone keeps the signed manifest")

	// Each deletion is in the audit log.
	entries, err = e.audit.List(ctx, audit.Filter{Action: "archive.expire"})
	require.NoError(t, err)
	require.Len(t, entries, 6)
	var objects []string
	for _, en := range entries {
		require.Equal(t, "system:retention", en.Actor)
		objects = append(objects, en.Object)
	}
	for _, h := range want {
		require.Contains(t, objects, "segment:"+h)
	}
	require.Contains(t, string(entries[0].Detail), `"retention_years":15`)

	// Nothing is listed or located any more; the reason is given.
	list, err := e.svc.Segments(ctx, archive.Filter{Session: 7})
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = e.svc.Locate(ctx, 4, t0.Add(5*time.Second))
	require.ErrorIs(t, err, archive.ErrNotFound)
	require.Contains(t, err.Error(), "已超过保存期限删除")

	// The chain still verifies: the deleted segments are reported as
	// deleted after retention, not missing, and session 10's segment
	// links to the tombstone before it.
	vrep, err := e.svc.VerifySession(ctx, "user:3", a.book[7].sel)
	require.NoError(t, err)
	require.True(t, vrep.OK, "%+v", vrep.First)
	require.Equal(t, 3, vrep.Segments)
	require.Equal(t, 3, vrep.Deleted)
	require.Zero(t, vrep.Verified)
	require.Zero(t, vrep.Broken)
	require.Len(t, vrep.DeletedSegments, 3)
	require.Equal(t, "system:retention", vrep.DeletedSegments[0].DeletedBy)
	vrep, err = e.svc.VerifySession(ctx, "user:3", a.book[10].sel)
	require.NoError(t, err)
	require.True(t, vrep.OK, "%+v", vrep.First)
	require.Equal(t, 1, vrep.Verified)
	vrep, err = e.svc.VerifySession(ctx, "user:3", archive.Selection{Rooms: []int64{4}, From: t0, To: t0.Add(time.Hour)})
	require.NoError(t, err)
	require.True(t, vrep.OK, "%+v", vrep.First)
	require.Equal(t, 5, vrep.Segments)
	require.Equal(t, 4, vrep.Deleted)
	g, err = e.svc.Segment(ctx, a.nj[1].hash)
	require.NoError(t, err)
	require.Equal(t, archive.StateDeleted, g.State, "verification leaves a tombstone one")

	// A second run finds nothing more.
	rep, err = ret.Expire(ctx, "system:retention", false)
	require.NoError(t, err)
	require.Zero(t, rep.Expired)
	require.Zero(t, rep.BlobsRemoved)
	require.Equal(t, 3, rep.Held)

	// The hold released, the next run deletes what it kept.
	_, err = e.svc.ReleaseHold(ctx, "user:2", 8, hold.ID, "判决已生效，保全解除")
	require.NoError(t, err)
	rep, err = ret.Expire(ctx, "system:retention", false)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{a.hf[0].hash, a.hf[1].hash, a.hf[2].hash}, hashes(rep.Segments))
	for _, s := range a.hf {
		require.False(t, e.live(t, s))
	}
	require.True(t, e.live(t, a.gz[0]), "a session that has not ended is never expired")

	// A tombstone cannot be dropped or revived.
	_, err = e.db.Exec(ctx, `DELETE FROM archive.segments WHERE hash = $1`, a.nj[0].hash)
	require.ErrorContains(t, err, "tombstone")
	_, err = e.db.Exec(ctx, `UPDATE archive.segments SET deleted_at = NULL, deleted_by = NULL, delete_reason = NULL,
		blob_removed_at = NULL, state = 'verified' WHERE hash = $1`, a.nj[0].hash)
	require.ErrorContains(t, err, "tombstone")
}

func TestRetentionBelowLegalMinimumRefused(t *testing.T) {
	e := newEnv(t)
	for _, years := range []int{0, 1, 14} {
		_, err := archive.NewRetention(archive.RetentionParams{Service: e.svc, Years: years, Sessions: sessionBook{}})
		require.ErrorIs(t, err, archive.ErrInvalid)
		require.ErrorContains(t, err, "法定最短期限 15 年")
	}
	r, err := archive.NewRetention(archive.RetentionParams{Service: e.svc, Years: 30, Sessions: sessionBook{}})
	require.NoError(t, err)
	require.Equal(t, 30, r.Years())
	_, err = r.Expire(context.Background(), "", false)
	require.ErrorIs(t, err, archive.ErrInvalid, "an actor is required")
}

func TestRetentionRemovesFromReplicasAndRetriesAFailedRemoval(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newRecorder(t, e, "edge-nj-1", 4, true)
	segs := []seg{r.segment(t, t0, 10*time.Second), r.segment(t, t0.Add(10*time.Second), 10*time.Second)}
	dir := t.TempDir()
	replica, err := archive.NewFS(dir)
	require.NoError(t, err)
	for _, s := range segs {
		upload(t, e, r, s)
		_, err := replica.Put(ctx, s.hash, bytes.NewReader(s.data), 1<<20)
		require.NoError(t, err)
	}
	book := sessionBook{7: {sel: archive.Selection{Session: 7, Rooms: []int64{4}, From: t0, To: t0.Add(time.Minute)}, ended: t0.Add(time.Minute)}}
	ret := e.retention(t, book, replica)

	// The replica cannot remove the second segment's copy (a folder
	// stands where the object is): its tombstone waits for the next run.
	p := filepath.Join(dir, segs[1].hash[0:2], segs[1].hash[2:4], segs[1].hash)
	require.NoError(t, os.Remove(p))
	require.NoError(t, os.MkdirAll(filepath.Join(p, "x"), 0o750))
	e.clock.Set(t0.AddDate(15, 1, 0))
	rep, err := ret.Expire(ctx, "system:retention", false)
	require.Error(t, err)
	require.Equal(t, 2, rep.Expired)
	require.Equal(t, 1, rep.BlobsRemoved)
	has, err := replica.Has(ctx, segs[0].hash)
	require.NoError(t, err)
	require.False(t, has, "the replica's copy is removed too")
	g, err := e.svc.Segment(ctx, segs[1].hash)
	require.NoError(t, err)
	require.NotNil(t, g.Tombstone)
	require.Nil(t, g.Tombstone.BlobRemovedAt, "the removal is still to be done")

	require.NoError(t, os.RemoveAll(p))
	rep, err = ret.Expire(ctx, "system:retention", false)
	require.NoError(t, err)
	require.Zero(t, rep.Expired)
	require.Equal(t, 1, rep.BlobsRemoved)
	g, err = e.svc.Segment(ctx, segs[1].hash)
	require.NoError(t, err)
	require.NotNil(t, g.Tombstone.BlobRemovedAt)
	entries, err := e.audit.List(ctx, audit.Filter{Action: "archive.expire"})
	require.NoError(t, err)
	require.Len(t, entries, 2, "each segment's deletion audited once")
}
