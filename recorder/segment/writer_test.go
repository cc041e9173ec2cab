package segment_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
	"github.com/evalroom/evalroom/recorder/segment"
)

// closedLog collects OnClosed calls.
type closedLog struct {
	mu    sync.Mutex
	infos []segment.SegmentInfo
}

func (l *closedLog) add(i segment.SegmentInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.infos = append(l.infos, i)
}

func (l *closedLog) all() []segment.SegmentInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]segment.SegmentInfo(nil), l.infos...)
}

func TestWriterSegments(t *testing.T) {
	m := newMedia(t, 25)
	dir := t.TempDir()
	clock := testenv.NewClock(t0)
	var log closedLog
	w, err := segment.NewWriter(segment.Params{Dir: dir, Recorder: "room1-cam1", Tracks: tracks(m),
		Now: clock.Now, OnClosed: log.add, Tags: map[string]string{"room": "room1"}})
	require.NoError(t, err)
	feed(t, w, clock, m.events(t0, 0, 25*time.Second))
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "Close is idempotent")
	require.ErrorIs(t, w.WriteFrame(1, segment.Frame{UTC: clock.Now(), Data: m.video[0]}), segment.ErrClosed)

	infos := log.all()
	require.Len(t, infos, 3)
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.Len(t, names, 3, "only the closed .mp4 files are left: %v", names)

	total := 0.0
	for i, info := range infos {
		t.Logf("%s: %s … %s, %d frames, %d samples, %d bytes", filepath.Base(info.Path),
			info.UTCStart.Format(time.RFC3339Nano), info.UTCEnd.Format(time.RFC3339Nano), info.Frames, info.Samples, info.Bytes)
		require.Equal(t, t0.Add(time.Duration(i)*10*time.Second), info.UTCStart)
		require.Equal(t, segment.FileName("room1-cam1", info.UTCStart, i+1), filepath.Base(info.Path))
		require.Equal(t, i+1, info.Seq)
		require.False(t, info.Truncated)
		if i > 0 {
			require.Equal(t, infos[i-1].UTCEnd, info.UTCStart, "segments are contiguous")
		}
		st, err := os.Stat(info.Path)
		require.NoError(t, err)
		require.Equal(t, st.Size(), info.Bytes)

		p := fmp4test.FFprobe(t, info.Path)
		v, ok := p.Stream("video")
		require.True(t, ok)
		require.Equal(t, "h264", v.CodecName)
		require.Equal(t, 320, v.Width)
		a, ok := p.Stream("audio")
		require.True(t, ok)
		require.Equal(t, "opus", a.CodecName)
		require.Equal(t, info.UTCStart.Format(fmp4.DayLayout), p.Format.Tags["date"])
		require.Equal(t, "room1", p.Format.Tags["room"])
		total += p.Seconds()
		require.NoError(t, fmp4test.Decode(info.Path))

		got, err := segment.Inspect(info.Path)
		require.NoError(t, err)
		require.Equal(t, info.Frames, got.Frames)
		require.Equal(t, info.UTCEnd, got.UTCEnd)
		firstSampleIsKeyframe(t, info.Path)
	}
	require.Equal(t, 25*fps, infos[0].Frames+infos[1].Frames+infos[2].Frames, "no frame lost")
	require.Equal(t, t0.Add(25*time.Second), infos[2].UTCEnd)
	t.Logf("ffprobe durations sum to %.3f s", total)
	require.InEpsilon(t, 25.0, total, 0.01)
}

func firstSampleIsKeyframe(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	scan, err := fmp4.Scan(f, st.Size())
	require.NoError(t, err)
	require.NotEmpty(t, scan.Fragments)
	// The header's durations were patched on close (Chromium reads
	// them): the movie's is the longest track's, each track's its own.
	require.NotEmpty(t, scan.DurationFields)
	want := map[uint32]time.Duration{0: scan.Duration()}
	for _, tr := range scan.Tracks {
		want[tr.ID] = tr.Duration()
	}
	buf := make([]byte, 8)
	for _, d := range scan.DurationFields {
		_, err := f.ReadAt(buf, d.Offset)
		require.NoError(t, err)
		got := time.Duration(binary.BigEndian.Uint64(buf)) * time.Second / time.Duration(d.Timescale)
		require.InDelta(t, want[d.TrackID].Seconds(), got.Seconds(), 0.002, "%s: duration field at %d (track %d)", path, d.Offset, d.TrackID)
	}
	for _, r := range scan.Fragments[0].Runs {
		if r.TrackID == 1 {
			require.True(t, r.FirstSync, "%s starts with a keyframe", path)
			require.Zero(t, r.BaseDecodeTime)
			return
		}
	}
	t.Fatalf("%s: no video in the first fragment", path)
}

func TestWriterGapAndRestart(t *testing.T) {
	m := newMedia(t, 6)
	dir := t.TempDir()
	clock := testenv.NewClock(t0)
	var log closedLog
	p := segment.Params{Dir: dir, Recorder: "cam1", Tracks: tracks(m), Now: clock.Now, OnClosed: log.add}
	w, err := segment.NewWriter(p)
	require.NoError(t, err)

	// Frames before the first keyframe cannot start a segment.
	require.ErrorIs(t, w.WriteFrame(2, segment.Frame{UTC: t0.Add(-time.Second), Data: m.audio.Packets[0]}), segment.ErrNeedKeyframe)
	require.ErrorIs(t, w.WriteFrame(1, segment.Frame{UTC: t0.Add(-time.Second), Data: m.video[1]}), segment.ErrNeedKeyframe)

	feed(t, w, clock, m.events(t0, 0, 2*time.Second))
	gapFrom, gapTo := t0.Add(2*time.Second), t0.Add(3*time.Second)
	require.NoError(t, w.MarkGap(gapFrom, gapTo, "device lost: cam1"))
	require.Len(t, log.all(), 1, "a gap closes the open segment")
	require.Equal(t, []segment.Gap{{From: gapFrom, To: gapTo, Reason: "device lost: cam1"}}, log.all()[0].Gaps)
	require.ErrorIs(t, w.WriteFrame(1, segment.Frame{UTC: gapTo.Add(time.Second / fps), Data: m.video[46]}), segment.ErrNeedKeyframe)
	feed(t, w, clock, m.events(t0, 3*time.Second, 4*time.Second))
	require.ErrorIs(t, w.WriteFrame(2, segment.Frame{UTC: t0, Data: m.audio.Packets[0]}), segment.ErrLate)
	require.NoError(t, w.Close())
	infos := log.all()
	require.Len(t, infos, 2)
	require.Equal(t, gapTo, infos[1].UTCStart)
	require.Equal(t, 4, w.Dropped(), "two before the first keyframe, one after the gap, one late")

	// A new writer (a restart) continues the numbering.
	w2, err := segment.NewWriter(p)
	require.NoError(t, err)
	feed(t, w2, clock, m.events(t0.Add(time.Minute), 0, time.Second))
	require.NoError(t, w2.Close())
	infos = log.all()
	require.Len(t, infos, 3)
	require.Equal(t, 3, infos[2].Seq)
	for _, info := range infos {
		require.NoError(t, fmp4test.Decode(info.Path))
	}
}

func TestNewWriterErrors(t *testing.T) {
	dir := t.TempDir()
	video := fmp4.Track{ID: 1, Kind: fmp4.Video, Codec: fmp4.H264}
	for _, tc := range []struct {
		name string
		p    segment.Params
		want error
	}{
		{"no dir", segment.Params{Recorder: "a", Tracks: []fmp4.Track{video}}, segment.ErrMissingParam},
		{"no tracks", segment.Params{Dir: dir, Recorder: "a"}, segment.ErrMissingParam},
		{"path in the name", segment.Params{Dir: dir, Recorder: "../a", Tracks: []fmp4.Track{video}}, segment.ErrInvalidParam},
		{"two cameras", segment.Params{Dir: dir, Recorder: "a", Tracks: []fmp4.Track{video, {ID: 2, Kind: fmp4.Video, Codec: fmp4.H264}}}, segment.ErrInvalidParam},
		{"repeated ID", segment.Params{Dir: dir, Recorder: "a", Tracks: []fmp4.Track{video, video}}, segment.ErrInvalidParam},
		{"missing folder", segment.Params{Dir: filepath.Join(dir, "none"), Recorder: "a", Tracks: []fmp4.Track{video}}, os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := segment.NewWriter(tc.p)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestFileName(t *testing.T) {
	start := time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)
	name := segment.FileName("room-1.cam_2", start, 42)
	require.Equal(t, "room-1.cam_2-20250314T092653.589Z-000042.mp4", name)
	for _, n := range []string{name, name + ".part"} {
		rec, got, seq, ok := segment.ParseFileName(n)
		require.True(t, ok)
		require.Equal(t, "room-1.cam_2", rec)
		require.Equal(t, start, got)
		require.Equal(t, 42, seq)
	}
	for _, bad := range []string{"x.mp4", "a-b-c.mp4", "a-20250314T092653.589Z-x.mp4", "a-20250314T092653.589Z-1.webm"} {
		_, _, _, ok := segment.ParseFileName(bad)
		require.False(t, ok, bad)
	}
}

// TestGapOfOneTrackKeepsTheOthers: the camera is lost for a second while
// the microphone goes on; when the camera's keyframe that ends the gap
// comes, audio from just after it is already waiting. MarkGap must not
// write that audio first, or the keyframe would be late and a second of
// video lost.
func TestGapOfOneTrackKeepsTheOthers(t *testing.T) {
	m := newMedia(t, 4)
	clock := testenv.NewClock(t0)
	var log closedLog
	w, err := segment.NewWriter(segment.Params{Dir: t.TempDir(), Recorder: "cam1", Tracks: tracks(m), Now: clock.Now, OnClosed: log.add})
	require.NoError(t, err)
	var before, after []event
	for _, ev := range m.events(t0, 0, 4*time.Second) {
		at := ev.frame.UTC.Sub(t0)
		switch {
		case ev.track == 1 && at >= 2*time.Second && at < 3*time.Second:
			// the camera is lost
		case ev.track == 1 && at < 2*time.Second, ev.track == 2 && at < 3200*time.Millisecond:
			before = append(before, ev)
		default:
			after = append(after, ev)
		}
	}
	feed(t, w, clock, before) // video to 2 s, audio on to 3.2 s
	gapFrom, gapTo := t0.Add(2*time.Second), t0.Add(3*time.Second)
	require.NoError(t, w.MarkGap(gapFrom, gapTo, "device lost: cam1"))
	feed(t, w, clock, after) // the keyframe at 3 s, then the rest
	require.NoError(t, w.Close())
	infos := log.all()
	require.Len(t, infos, 2)
	require.Equal(t, gapTo, infos[1].UTCStart, "the segment after the gap starts with the keyframe that ended it")
	require.Equal(t, fps, infos[1].Frames)
	for _, info := range infos {
		require.NoError(t, fmp4test.Decode(info.Path))
	}
}
