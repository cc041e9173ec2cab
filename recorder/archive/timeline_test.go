package archive_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// TestTimeline lays out two rooms of a session: Nanjing records 0–20 s,
// restarts (a recorded gap 20–25 s) and records 25–35 s; Hefei records
// 5–15 s and 30–35 s with nothing in between. A segment of another
// session in Nanjing's room stays out, and a verification's outcome
// shows per segment.
func TestTimeline(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	nj := newRecorder(t, e, "edge-nj-1", 4, true)
	hf := newRecorder(t, e, "edge-hf-1", 5, true)
	n1 := nj.segment(t, t0, 10*time.Second)
	n2 := nj.segment(t, t0.Add(10*time.Second), 10*time.Second)
	n3 := nj.segment(t, t0.Add(25*time.Second), 10*time.Second,
		manifest.Gap{From: t0.Add(20 * time.Second), To: t0.Add(25 * time.Second), Reason: "录像程序重启"})
	h1 := hf.segment(t, t0.Add(5*time.Second), 10*time.Second)
	h2 := hf.segment(t, t0.Add(30*time.Second), 5*time.Second)
	for _, s := range []seg{n1, n2, n3} {
		upload(t, e, nj, s)
	}
	for _, s := range []seg{h1, h2} {
		upload(t, e, hf, s)
	}
	nj.session = "8"
	other := nj.segment(t, t0.Add(2*time.Hour), 10*time.Second)
	upload(t, e, nj, other)

	sel := archive.Selection{Session: 7, Rooms: []int64{4, 5, 6}, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	tl, err := e.svc.Timeline(ctx, sel)
	require.NoError(t, err)
	require.Equal(t, t0, *tl.Start)
	require.Equal(t, t0.Add(35*time.Second), *tl.End)
	require.Len(t, tl.Rooms, 3)

	njLane, hfLane, empty := tl.Rooms[0], tl.Rooms[1], tl.Rooms[2]
	require.Equal(t, int64(4), njLane.Room)
	require.Equal(t, []string{"edge-nj-1"}, njLane.Recorders)
	require.Equal(t, []string{"cam1+mic"}, njLane.Streams)
	require.Len(t, njLane.Segments, 3, "the other session's segment stays out")
	require.Equal(t, []string{n1.hash, n2.hash, n3.hash}, []string{njLane.Segments[0].Hash, njLane.Segments[1].Hash, njLane.Segments[2].Hash})
	require.EqualValues(t, 10000, njLane.Segments[0].DurationMS)
	require.Equal(t, archive.StateVerified, njLane.Segments[0].VerifyState)
	require.False(t, njLane.Segments[0].Rechecked)
	require.Equal(t, []archive.TimelineGap{{From: t0.Add(20 * time.Second), To: t0.Add(25 * time.Second), Reason: "录像程序重启",
		Recorded: true, Segment: n3.hash}}, njLane.Gaps, "the restart is recorded; nothing else is missing")

	require.Len(t, hfLane.Segments, 2)
	require.Equal(t, []archive.TimelineGap{
		{From: t0, To: t0.Add(5 * time.Second), Reason: archive.HoleReason},
		{From: t0.Add(15 * time.Second), To: t0.Add(30 * time.Second), Reason: archive.HoleReason},
	}, hfLane.Gaps, "holes before and between Hefei's segments, none after: both rooms end at 35 s")

	require.Empty(t, empty.Segments)
	require.Equal(t, []archive.TimelineGap{{From: t0, To: t0.Add(35 * time.Second), Reason: archive.HoleReason}}, empty.Gaps)

	// A verification finds a blob altered; the timeline shows it.
	corrupt(t, e, h2.hash)
	_, err = e.svc.VerifySession(ctx, "user:9", sel)
	require.NoError(t, err)
	tl, err = e.svc.Timeline(ctx, sel)
	require.NoError(t, err)
	require.Equal(t, archive.StateVerified, tl.Rooms[1].Segments[0].VerifyState)
	require.True(t, tl.Rooms[1].Segments[0].Rechecked)
	require.Equal(t, archive.StateBroken, tl.Rooms[1].Segments[1].VerifyState)
	require.NotEmpty(t, tl.Rooms[1].Segments[1].VerifyDetail)

	// A tombstone stays on its lane, its reason in the detail.
	_, err = e.db.Exec(ctx, `UPDATE archive.segments SET state = 'deleted', deleted_at = now(), deleted_by = 'system:retention',
		delete_reason = '保存期限已满' WHERE hash = $1`, h1.hash)
	require.NoError(t, err)
	tl, err = e.svc.Timeline(ctx, sel)
	require.NoError(t, err)
	require.Equal(t, archive.StateDeleted, tl.Rooms[1].Segments[0].VerifyState)
	require.Equal(t, "保存期限已满", tl.Rooms[1].Segments[0].VerifyDetail)
	require.Len(t, tl.Rooms[1].Gaps, 2, "a deleted segment is no hole")

	// Nothing recorded: lanes without bounds or gaps.
	tl, err = e.svc.Timeline(ctx, archive.Selection{Session: 99, Rooms: []int64{7}, From: t0.Add(5 * time.Hour), To: t0.Add(6 * time.Hour)})
	require.NoError(t, err)
	require.Nil(t, tl.Start)
	require.Len(t, tl.Rooms, 1)
	require.Empty(t, tl.Rooms[0].Segments)
	require.Empty(t, tl.Rooms[0].Gaps)

	_, err = e.svc.Timeline(ctx, archive.Selection{Session: 7, From: t0, To: t0.Add(time.Hour)})
	require.ErrorIs(t, err, archive.ErrInvalid, "no rooms")
}
