package segment_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
	"github.com/evalroom/evalroom/recorder/segment"
)

// TestRecoverAbandoned simulates kill -9: a writer is abandoned 7 s into
// its second segment (no Close). The closed first segment is intact;
// Recover turns the .part file into a segment ffprobe reads, losing at
// most the unwritten fragment and the reorder window (under 2 s).
func TestRecoverAbandoned(t *testing.T) {
	m := newMedia(t, 17)
	dir := t.TempDir()
	clock := testenv.NewClock(t0)
	var log closedLog
	w, err := segment.NewWriter(segment.Params{Dir: dir, Recorder: "cam1", Tracks: tracks(m), Now: clock.Now, OnClosed: log.add})
	require.NoError(t, err)
	feed(t, w, clock, m.events(t0, 0, 17*time.Second))
	// w is abandoned here, as a killed process leaves it.

	require.Len(t, log.all(), 1)
	closed := log.all()[0]
	require.NoError(t, fmp4test.Decode(closed.Path))
	parts, err := filepath.Glob(filepath.Join(dir, "*.part"))
	require.NoError(t, err)
	require.Len(t, parts, 1)

	infos, err := segment.Recover(dir, clock.Now)
	require.NoError(t, err)
	require.Len(t, infos, 1)
	got := infos[0]
	t.Logf("recovered %s: %s … %s, %d frames", filepath.Base(got.Path), got.UTCStart.Format(time.RFC3339Nano),
		got.UTCEnd.Format(time.RFC3339Nano), got.Frames)
	require.True(t, got.Truncated)
	require.Equal(t, closed.UTCEnd, got.UTCStart, "the recovered segment follows the closed one")
	require.Equal(t, 2, got.Seq)
	lost := t0.Add(17 * time.Second).Sub(got.UTCEnd)
	t.Logf("lost at the crash: %s", lost)
	require.Less(t, lost, 2*time.Second)
	require.True(t, strings.HasSuffix(got.Path, segment.Ext))
	p := fmp4test.FFprobe(t, got.Path)
	require.InDelta(t, got.UTCEnd.Sub(got.UTCStart).Seconds(), p.Seconds(), 0.05)
	require.NoError(t, fmp4test.Decode(got.Path))
	firstSampleIsKeyframe(t, got.Path)

	again, err := segment.Recover(dir, clock.Now)
	require.NoError(t, err)
	require.Empty(t, again, "nothing left to recover")
}

// TestRecoverCutAnywhere copies an open segment cut at random byte
// offsets, as a crash in the middle of a write would leave it, and checks
// that Recover gives a file ffprobe reads (or removes one without a
// complete fragment).
func TestRecoverCutAnywhere(t *testing.T) {
	m := newMedia(t, 6)
	src := t.TempDir()
	clock := testenv.NewClock(t0)
	w, err := segment.NewWriter(segment.Params{Dir: src, Recorder: "cam1", Tracks: tracks(m), Now: clock.Now})
	require.NoError(t, err)
	feed(t, w, clock, m.events(t0, 0, 6*time.Second))
	parts, err := filepath.Glob(filepath.Join(src, "*.part"))
	require.NoError(t, err)
	require.Len(t, parts, 1)
	data, err := os.ReadFile(parts[0])
	require.NoError(t, err)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d bytes", seed, len(data))
	rng := rand.New(rand.NewPCG(seed, 7))
	offsets := []int{0, 100, len(data)}
	for i := 0; i < 8; i++ {
		offsets = append(offsets, rng.IntN(len(data)))
	}
	for _, cut := range offsets {
		dir := t.TempDir()
		name := filepath.Join(dir, filepath.Base(parts[0]))
		require.NoError(t, os.WriteFile(name, data[:cut], 0o644))
		infos, err := segment.Recover(dir, clock.Now)
		require.NoError(t, err, "cut at %d", cut)
		left, err := filepath.Glob(filepath.Join(dir, "*"))
		require.NoError(t, err)
		if len(infos) == 0 {
			require.Empty(t, left, "cut at %d: a file without media is removed", cut)
			continue
		}
		require.Len(t, left, 1)
		require.Equal(t, infos[0].Path, left[0])
		require.Positive(t, infos[0].Frames)
		p, err := fmp4test.FFprobeErr(infos[0].Path)
		require.NoError(t, err, "cut at %d", cut)
		require.InDelta(t, infos[0].UTCEnd.Sub(infos[0].UTCStart).Seconds(), p.Seconds(), 0.05, "cut at %d", cut)
		require.NoError(t, fmp4test.Decode(infos[0].Path), "cut at %d", cut)
	}
}
