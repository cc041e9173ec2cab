package archive_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// corrupt flips a byte of a stored blob behind the archive's back and
// lets a minute pass.
func corrupt(t *testing.T, e *env, hash string) {
	t.Helper()
	p := e.blobPath(hash)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[100] ^= 0x01
	require.NoError(t, os.Chmod(p, 0o640))
	require.NoError(t, os.WriteFile(p, data, 0o440))
	e.clock.Advance(time.Minute)
}

// TestSummaries sums each session's segments for the archive search:
// counts, bytes, span, gaps, and the state after a verification found
// an altered blob; a session with nothing recorded is empty.
func TestSummaries(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	nj := newRecorder(t, e, "edge-nj-1", 4, true)
	hf := newRecorder(t, e, "edge-hf-1", 5, true)
	n1 := nj.segment(t, t0, 10*time.Second)
	n2 := nj.segment(t, t0.Add(15*time.Second), 10*time.Second,
		manifest.Gap{From: t0.Add(10 * time.Second), To: t0.Add(15 * time.Second), Reason: "设备中断: cam1"})
	h1 := hf.segment(t, t0.Add(2*time.Second), 10*time.Second)
	upload(t, e, nj, n1)
	upload(t, e, nj, n2)
	upload(t, e, hf, h1)
	// A segment of session 8 in Hefei's room.
	hf.session = "8"
	s8seg := hf.segment(t, t0.Add(3*time.Hour), 4*time.Second)
	upload(t, e, hf, s8seg)

	s7 := archive.Selection{Session: 7, Rooms: []int64{4, 5}, From: t0, To: t0.Add(time.Hour)}
	s8 := archive.Selection{Session: 8, Rooms: []int64{5}, From: t0.Add(3 * time.Hour), To: t0.Add(4 * time.Hour)}
	s9 := archive.Selection{Session: 9, Rooms: []int64{6}, From: t0, To: t0.Add(time.Hour)}
	sums, err := e.svc.Summaries(ctx, []archive.Selection{s7, s8, s9})
	require.NoError(t, err)
	require.Len(t, sums, 3)

	a := sums[0]
	require.Equal(t, int64(7), a.Session)
	require.Equal(t, 3, a.Segments)
	require.Equal(t, 2, a.RoomsRecorded)
	require.EqualValues(t, len(n1.data)+len(n2.data)+len(h1.data), a.Bytes)
	require.EqualValues(t, 30000, a.DurationMS)
	require.Equal(t, t0, *a.Start)
	require.Equal(t, t0.Add(25*time.Second), *a.End)
	require.Equal(t, 1, a.Gaps)
	require.Equal(t, 3, a.Verified)
	require.Zero(t, a.Rechecked)
	require.Equal(t, archive.StateVerified, a.State)

	require.Equal(t, 1, sums[1].Segments, "session 8's segment, and only it")
	require.Equal(t, int64(8), sums[1].Session)
	require.Equal(t, archive.SessionSummary{Session: 9, State: archive.StateEmpty}, sums[2])

	corrupt(t, e, n2.hash)
	_, err = e.svc.VerifySession(ctx, "user:3", s7)
	require.NoError(t, err)
	sums, err = e.svc.Summaries(ctx, []archive.Selection{s7})
	require.NoError(t, err)
	require.Equal(t, archive.StateBroken, sums[0].State)
	require.Equal(t, 1, sums[0].Broken)
	require.Equal(t, 2, sums[0].Verified)
	require.Equal(t, 3, sums[0].Rechecked)
	require.Equal(t, e.clock.Now().UTC().Truncate(time.Microsecond), *sums[0].LastVerifiedAt)

	// Hefei's segment is deleted after the retention period: its
	// tombstone is counted apart; a session left with tombstones only is
	// "deleted".
	_, err = e.db.Exec(ctx, `UPDATE archive.segments SET state = 'deleted', deleted_at = now(), deleted_by = 'system:retention',
		delete_reason = '保存期限已满' WHERE hash = $1`, h1.hash)
	require.NoError(t, err)
	sums, err = e.svc.Summaries(ctx, []archive.Selection{s7, {Session: 7, Rooms: []int64{5}, From: t0, To: t0.Add(time.Hour)}})
	require.NoError(t, err)
	require.Equal(t, 2, sums[0].Segments)
	require.Equal(t, 1, sums[0].Deleted)
	require.EqualValues(t, len(n1.data)+len(n2.data), sums[0].Bytes)
	require.Equal(t, archive.StateDeleted, sums[1].State)
	require.Zero(t, sums[1].Segments)
	require.Nil(t, sums[1].Start)

	empty, err := e.svc.Summaries(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, empty)
	_, err = e.svc.Summaries(ctx, []archive.Selection{{Session: 7, Rooms: []int64{4}}})
	require.ErrorIs(t, err, archive.ErrInvalid, "no span")
}
