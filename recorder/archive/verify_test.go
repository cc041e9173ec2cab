package archive_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
)

// twoRooms uploads three segments from each of two recorders (rooms 4
// and 5, session 7) and returns them by recorder.
func twoRooms(t *testing.T, e *env) (a, b *recorder, sa, sb []seg) {
	t.Helper()
	a, b = newRecorder(t, e, "edge-nj-1", 4, true), newRecorder(t, e, "edge-hf-1", 5, true)
	for i := 0; i < 3; i++ {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		sa = append(sa, a.segment(t, at, 10*time.Second))
		sb = append(sb, b.segment(t, at, 10*time.Second))
		upload(t, e, a, sa[i])
		upload(t, e, b, sb[i])
	}
	return a, b, sa, sb
}

var sessionSel = archive.Selection{Session: 7, Rooms: []int64{4, 5}, From: t0, To: t0.Add(time.Minute)}

func TestVerifySessionRecordsStateAndFindsAlteredBlobs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, _, sa, sb := twoRooms(t, e)

	rep, err := e.svc.VerifySession(ctx, "user:3", sessionSel)
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep.First)
	require.Equal(t, 6, rep.Segments)
	require.Equal(t, 6, rep.Verified)
	require.Len(t, rep.Chains, 2)
	require.Equal(t, "edge-hf-1", rep.Chains[0].Recorder)
	require.EqualValues(t, 1, rep.Chains[0].FirstSeq)
	require.EqualValues(t, 3, rep.Chains[0].LastSeq)
	require.Equal(t, sb[0].m.Prev.String(), rep.Chains[0].AnchorPrev)

	// A byte of Nanjing's second segment changes on disk; time passes.
	p := e.blobPath(sa[1].hash)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[100] ^= 0x01
	require.NoError(t, os.Chmod(p, 0o640))
	require.NoError(t, os.WriteFile(p, data, 0o440))
	e.clock.Advance(time.Hour)

	rep, err = e.svc.VerifySession(ctx, "user:3", sessionSel)
	require.NoError(t, err)
	require.False(t, rep.OK)
	require.Equal(t, 1, rep.Broken)
	require.Equal(t, 5, rep.Verified)
	require.NotNil(t, rep.First)
	require.Equal(t, evidence.KindSegmentHash, rep.First.Kind)
	require.Equal(t, "edge-nj-1", rep.First.Recorder)
	require.EqualValues(t, 2, rep.First.Seq)
	require.Equal(t, "segment:"+sa[1].hash, rep.First.Name)

	g, err := e.svc.Segment(ctx, sa[1].hash)
	require.NoError(t, err)
	require.Equal(t, archive.StateBroken, g.State)
	require.Contains(t, g.VerifyDetail, "录像片段文件哈希不符")
	require.Equal(t, t0.Add(2*time.Hour), g.VerifiedAt)
	require.Equal(t, t0.Add(time.Hour), g.AcceptedAt, "acceptance time is kept")
	g, err = e.svc.Segment(ctx, sa[2].hash)
	require.NoError(t, err)
	require.Equal(t, archive.StateVerified, g.State)
	require.Equal(t, t0.Add(2*time.Hour), g.VerifiedAt)

	entries, err := e.audit.List(ctx, audit.Filter{Action: "archive.verify"})
	require.NoError(t, err)
	require.Len(t, entries, 2)
	require.Equal(t, "user:3", entries[1].Actor)
	require.Equal(t, "session:7", entries[1].Object)
	require.Contains(t, string(entries[1].Detail), `"broken":1`)
	require.Contains(t, string(entries[1].Detail), sa[1].hash)
}

func TestVerifySessionNamesIndexTampering(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		alter func(t *testing.T, e *env, sa, sb []seg)
		kind  evidence.Kind
		rec   string
		seq   int64
	}{
		{"blob deleted", func(t *testing.T, e *env, sa, sb []seg) {
			require.NoError(t, os.Remove(e.blobPath(sb[2].hash)))
		}, evidence.KindSegmentMissing, "edge-hf-1", 3},
		{"row time moved", func(t *testing.T, e *env, sa, sb []seg) {
			_, err := e.db.Exec(ctx, `UPDATE archive.segments SET utc_start = utc_start - interval '5 seconds' WHERE hash = $1`, sa[0].hash)
			require.NoError(t, err)
		}, evidence.KindIndexMismatch, "edge-nj-1", 1},
		{"middle row deleted", func(t *testing.T, e *env, sa, sb []seg) {
			_, err := e.db.Exec(ctx, `DELETE FROM archive.segments WHERE hash = $1`, sb[1].hash)
			require.NoError(t, err)
		}, evidence.KindSeqGap, "edge-hf-1", 3},
		{"manifest edited", func(t *testing.T, e *env, sa, sb []seg) {
			_, err := e.db.Exec(ctx, `UPDATE archive.segments SET manifest_raw = replace(manifest_raw, '"cam1"', '"cam9"') WHERE hash = $1`, sa[2].hash)
			require.NoError(t, err)
		}, evidence.KindBadSignature, "edge-nj-1", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			_, _, sa, sb := twoRooms(t, e)
			tc.alter(t, e, sa, sb)
			rep, err := e.svc.VerifySession(ctx, "cli:test", sessionSel)
			require.NoError(t, err)
			require.False(t, rep.OK)
			require.NotNil(t, rep.First)
			require.Equal(t, tc.kind, rep.First.Kind, rep.First.Error())
			require.Equal(t, tc.rec, rep.First.Recorder)
			require.Equal(t, tc.seq, rep.First.Seq)
		})
	}
}

func TestVerifySessionSelection(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	twoRooms(t, e)
	_, err := e.svc.VerifySession(ctx, "user:1", archive.Selection{Session: 7, From: t0, To: t0.Add(time.Minute)})
	require.ErrorIs(t, err, archive.ErrInvalid, "no rooms")
	_, err = e.svc.VerifySession(ctx, "user:1", archive.Selection{Session: 7, Rooms: []int64{4}, From: t0, To: t0})
	require.ErrorIs(t, err, archive.ErrInvalid, "empty span")

	// Room 4 only: one chain.
	rep, err := e.svc.VerifySession(ctx, "user:1", archive.Selection{Session: 7, Rooms: []int64{4}, From: t0, To: t0.Add(time.Minute)})
	require.NoError(t, err)
	require.Equal(t, 3, rep.Segments)
	// Another session's evidence in the same rooms: nothing, not OK.
	rep, err = e.svc.VerifySession(ctx, "user:1", archive.Selection{Session: 8, Rooms: []int64{4, 5}, From: t0, To: t0.Add(time.Minute)})
	require.NoError(t, err)
	require.Zero(t, rep.Segments)
	require.False(t, rep.OK)
	// Rooms only, by time: the middle segment of each room.
	rep, err = e.svc.VerifySession(ctx, "user:1", archive.Selection{Rooms: []int64{4, 5}, From: t0.Add(12 * time.Second), To: t0.Add(18 * time.Second)})
	require.NoError(t, err)
	require.Equal(t, 2, rep.Segments)
	require.EqualValues(t, 2, rep.Chains[0].FirstSeq)
}
