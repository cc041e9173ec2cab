package archive_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
)

// upload puts the segment's bytes and accepts its manifest.
func upload(t *testing.T, e *env, r *recorder, s seg) archive.Acceptance {
	t.Helper()
	ctx := context.Background()
	n, err := e.svc.PutSegment(ctx, r.id, s.hash, bytes.NewReader(s.data))
	require.NoError(t, err)
	require.EqualValues(t, len(s.data), n)
	a, err := e.svc.AcceptManifest(ctx, r.id, s.raw)
	require.NoError(t, err)
	return a
}

func TestAcceptThreeSegmentsAndReplay(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newRecorder(t, e, "edge-nj-1", 4, true)
	var segs []seg
	for i := 0; i < 3; i++ {
		segs = append(segs, r.segment(t, t0.Add(time.Duration(i)*10*time.Second), 10*time.Second))
	}
	for i, s := range segs {
		a := upload(t, e, r, s)
		require.False(t, a.AlreadyAccepted)
		require.Equal(t, s.hash, a.Segment.Hash)
		require.EqualValues(t, i+1, a.Segment.Seq)
		require.EqualValues(t, 4, a.Segment.Room)
		require.EqualValues(t, 7, a.Segment.Session)
		require.Equal(t, "cam1+mic", a.Segment.Stream)
		require.Equal(t, archive.StateVerified, a.Segment.State)
		require.Equal(t, s.m.Start, a.Segment.Start)
		require.Equal(t, t0.Add(time.Hour), a.Segment.VerifiedAt)
		require.Equal(t, bytes.TrimSuffix(s.raw, []byte("\n")), a.Segment.ManifestRaw)
		require.Equal(t, s.m.Signature, a.Segment.Manifest.Signature)
	}

	// The same manifest (and segment) again: success, nothing new.
	n, err := e.svc.PutSegment(ctx, r.id, segs[1].hash, bytes.NewReader(segs[1].data))
	require.NoError(t, err)
	require.EqualValues(t, len(segs[1].data), n)
	a, err := e.svc.AcceptManifest(ctx, r.id, segs[1].raw)
	require.NoError(t, err)
	require.True(t, a.AlreadyAccepted)
	require.EqualValues(t, 2, a.Segment.Seq)
	require.Equal(t, 3, e.count(t, "segments"))

	entries, err := e.audit.List(ctx, audit.Filter{Action: "archive.accept"})
	require.NoError(t, err)
	require.Len(t, entries, 3)
	require.Equal(t, "device:edge-nj-1", entries[0].Actor)
	require.Equal(t, "segment:"+segs[0].hash, entries[0].Object)

	// Listing and playback.
	list, err := e.svc.Segments(ctx, archive.Filter{Session: 7})
	require.NoError(t, err)
	require.Len(t, list, 3)
	list, err = e.svc.Segments(ctx, archive.Filter{Room: 4, From: t0.Add(15 * time.Second), To: t0.Add(25 * time.Second)})
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, segs[1].hash, list[0].Hash)
	require.Equal(t, segs[2].hash, list[1].Hash)
	list, err = e.svc.Segments(ctx, archive.Filter{Room: 5})
	require.NoError(t, err)
	require.Empty(t, list)

	o, g, err := e.svc.Open(ctx, segs[2].hash)
	require.NoError(t, err)
	defer o.Close()
	got, err := io.ReadAll(o)
	require.NoError(t, err)
	require.Equal(t, segs[2].data, got)
	require.EqualValues(t, 3, g.Seq)
}

func TestAcceptRefusesAndIndexesNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newRecorder(t, e, "edge-nj-1", 4, true)
	stranger := newRecorder(t, e, "edge-unknown", 4, false)
	first := r.segment(t, t0, 10*time.Second)
	second := r.segment(t, t0.Add(10*time.Second), 10*time.Second)
	third := r.segment(t, t0.Add(20*time.Second), 10*time.Second)
	upload(t, e, r, first)
	for _, s := range []seg{second, third} {
		_, err := e.svc.PutSegment(ctx, r.id, s.hash, bytes.NewReader(s.data))
		require.NoError(t, err)
	}

	// A fork: the recorder lost its state and signs a new seq 1 and 2.
	r2 := *r
	r2.restart(t, e)
	forkFirst := r2.segment(t, t0.Add(30*time.Second), 10*time.Second)
	forkSecond := r2.segment(t, t0.Add(40*time.Second), 10*time.Second)
	for _, s := range []seg{forkFirst, forkSecond} {
		_, err := e.svc.PutSegment(ctx, r.id, s.hash, bytes.NewReader(s.data))
		require.NoError(t, err)
	}

	// Tampered: a field changed after signing.
	tm := second.m
	tm.Truncated = true
	tampered, err := tm.Canonical()
	require.NoError(t, err)
	// Signed by another key than the registered one.
	other := newRecorder(t, e, "edge-nj-1", 4, false)
	forged := other.segment(t, t0.Add(10*time.Second), 10*time.Second)
	_, err = e.svc.PutSegment(ctx, r.id, forged.hash, bytes.NewReader(forged.data))
	require.NoError(t, err)
	// Another room than the registered one.
	elsewhere := newRecorder(t, e, "edge-nj-2", 9, true)
	e.keys["edge-nj-2"] = registration{pub: elsewhere.pub, room: 5}
	moved := elsewhere.segment(t, t0, 10*time.Second)
	_, err = e.svc.PutSegment(ctx, elsewhere.id, moved.hash, bytes.NewReader(moved.data))
	require.NoError(t, err)
	// Its segment never uploaded.
	missing := r.segment(t, t0.Add(30*time.Second), 10*time.Second)

	for _, tc := range []struct {
		name     string
		recorder string
		key      string
		raw      []byte
		want     error
	}{
		{"malformed", r.id, "", []byte(`{"version":1}`), archive.ErrInvalid},
		{"another recorder's manifest", "edge-nj-2", "", second.raw, archive.ErrInvalid},
		{"unregistered recorder", stranger.id, "", stranger.segment(t, t0, time.Second).raw, archive.ErrUnknownRecorder},
		{"tampered", r.id, "", tampered, archive.ErrBadSignature},
		{"signed by another key", r.id, "", forged.raw, archive.ErrBadSignature},
		{"another room", elsewhere.id, "", moved.raw, archive.ErrInvalid},
		{"gap in the chain", r.id, "", third.raw, archive.ErrBrokenChain},
		{"fork at the next seq", r.id, "", forkSecond.raw, archive.ErrBrokenChain},
		{"fork at an accepted seq", r.id, "", forkFirst.raw, archive.ErrConflict},
		{"segment not uploaded", r.id, "", missing.raw, archive.ErrMissingSegment},
		{"bytes of another segment", r.id, third.hash, second.raw, archive.ErrHashMismatch},
		{"path-like key", r.id, "../../etc/passwd", second.raw, archive.ErrBadKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.AcceptManifestFor(ctx, tc.recorder, tc.key, tc.raw)
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, 1, e.count(t, "segments"))
			require.Equal(t, 0, e.count(t, "gaps"))
			var seq int64
			require.NoError(t, e.db.QueryRow(ctx, `SELECT seq FROM archive.chain_heads WHERE recorder_id = $1`, r.id).Scan(&seq))
			require.EqualValues(t, 1, seq)
		})
	}
	entries, err := e.audit.List(ctx, audit.Filter{Action: "archive.accept"})
	require.NoError(t, err)
	require.Len(t, entries, 1)

	// The chain goes on with the right manifests after the refusals.
	a, err := e.svc.AcceptManifest(ctx, r.id, second.raw)
	require.NoError(t, err)
	require.EqualValues(t, 2, a.Segment.Seq)
	_, err = e.svc.AcceptManifest(ctx, r.id, forkSecond.raw)
	require.ErrorIs(t, err, archive.ErrConflict)
}

func TestPutSegmentRefusesAndStoresNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newRecorder(t, e, "edge-nj-1", 4, true)
	s := r.segment(t, t0, 10*time.Second)
	for _, tc := range []struct {
		name     string
		recorder string
		key      string
		body     []byte
		want     error
	}{
		{"wrong hash", r.id, key([]byte("other")), s.data, archive.ErrHashMismatch},
		{"path-like hash", r.id, "../" + s.hash[3:], s.data, archive.ErrBadKey},
		{"unregistered recorder", "edge-unknown", s.hash, s.data, archive.ErrUnknownRecorder},
		{"too large", r.id, key(make([]byte, 1<<20+1)), make([]byte, 1<<20+1), archive.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.PutSegment(ctx, tc.recorder, tc.key, bytes.NewReader(tc.body))
			require.ErrorIs(t, err, tc.want)
			ok, err := e.svc.HasSegment(ctx, s.hash)
			require.NoError(t, err)
			require.False(t, ok)
		})
	}
	_, err := e.svc.AcceptManifest(ctx, r.id, s.raw)
	require.ErrorIs(t, err, archive.ErrMissingSegment)
	// A stored blob without an accepted manifest is not in the index.
	_, err = e.svc.PutSegment(ctx, r.id, s.hash, bytes.NewReader(s.data))
	require.NoError(t, err)
	ok, err := e.svc.HasSegment(ctx, s.hash)
	require.NoError(t, err)
	require.True(t, ok)
	_, _, err = e.svc.Open(ctx, s.hash)
	require.ErrorIs(t, err, archive.ErrNotFound)
	require.Equal(t, 0, e.count(t, "segments"))
}
