package segment_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
	"github.com/evalroom/evalroom/recorder/segment"
)

// TestWriterVP8 records 12 s of real VP8 and Opus, the edge recorder's
// second codec: two segments, each starting at a VP8 keyframe, that
// ffprobe reads as vp8 320×180 with every frame, and that ffmpeg decodes.
func TestWriterVP8(t *testing.T) {
	m := newMediaCodec(t, fmp4.VP8, 12)
	dir := t.TempDir()
	clock := testenv.NewClock(t0)
	var log closedLog
	w, err := segment.NewWriter(segment.Params{Dir: dir, Recorder: "room1-cam1", Tracks: tracks(m),
		Now: clock.Now, OnClosed: log.add})
	require.NoError(t, err)
	require.False(t, fmp4.IsVP8Keyframe(m.video[1]))
	require.ErrorIs(t, w.WriteFrame(1, segment.Frame{UTC: t0.Add(-time.Second), Data: m.video[1]}), segment.ErrNeedKeyframe)
	feed(t, w, clock, m.events(t0, 0, 12*time.Second))
	require.NoError(t, w.Close())

	infos := log.all()
	require.Len(t, infos, 2)
	frames := 0
	for i, info := range infos {
		t.Logf("%s: %s … %s, %d frames", filepath.Base(info.Path),
			info.UTCStart.Format(time.RFC3339Nano), info.UTCEnd.Format(time.RFC3339Nano), info.Frames)
		require.Equal(t, t0.Add(time.Duration(i)*10*time.Second), info.UTCStart)
		if i > 0 {
			require.Equal(t, infos[i-1].UTCEnd, info.UTCStart, "segments are contiguous")
		}
		p := fmp4test.FFprobe(t, info.Path)
		v, ok := p.Stream("video")
		require.True(t, ok)
		require.Equal(t, "vp8", v.CodecName)
		require.Equal(t, 320, v.Width)
		require.Equal(t, 180, v.Height)
		a, ok := p.Stream("audio")
		require.True(t, ok)
		require.Equal(t, "opus", a.CodecName)
		n, err := fmp4test.CountFrames(info.Path, "video")
		require.NoError(t, err)
		require.Equal(t, info.Frames, n, "ffprobe decodes every frame")
		frames += n
		require.NoError(t, fmp4test.Decode(info.Path))
		firstSampleIsKeyframe(t, info.Path)
	}
	require.Equal(t, 12*fps, frames, "no frame lost")
	require.Equal(t, t0.Add(12*time.Second), infos[1].UTCEnd)
}
