package segment_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
	"github.com/evalroom/evalroom/recorder/segment"
)

// TestAudioVideoAlignment records synthetic media that marks each whole
// UTC second (a white frame, a beep) in 3 s segments, decodes each
// segment with ffmpeg and finds the marks: every beep starts at its
// second's offset from the segment's UTC start (the Opus pre-skip is
// skipped by the edit list, not heard as a delay), every white frame is
// presented at its capture time's offset, and the two lie less than one
// frame apart. ffprobe reports start times of about 0 for both streams.
func TestAudioVideoAlignment(t *testing.T) {
	for _, codec := range []fmp4.Codec{fmp4.H264, fmp4.VP8} {
		t.Run(codec.String(), func(t *testing.T) {
			start := markersStart
			m := sixSecondsOf(t, codec)
			require.Equal(t, 312, m.preSkip, "libopus's pre-skip")
			dir := t.TempDir()
			clock := testenv.NewClock(start)
			var log closedLog
			w, err := segment.NewWriter(segment.Params{Dir: dir, Recorder: "cam1", Tracks: m.tracks(),
				Length: 3 * time.Second, Fsync: segment.FsyncNever, Now: clock.Now, OnClosed: log.add})
			require.NoError(t, err)
			feed(t, w, clock, m.events())
			require.NoError(t, w.Close())
			infos := log.all()
			require.Len(t, infos, 2)
			seconds := 0
			for _, info := range infos {
				seconds += checkMarks(t, m, info)
			}
			require.Equal(t, 6, seconds, "every second's marks found")
		})
	}
}

// checkMarks decodes one segment and checks the marks of every whole
// second it covers; it returns how many seconds it checked.
func checkMarks(t *testing.T, m markers, info segment.SegmentInfo) int {
	t.Helper()
	name := filepath.Base(info.Path)
	p := fmp4test.FFprobe(t, info.Path)
	for _, s := range p.Streams {
		st, err := strconv.ParseFloat(s.StartTime, 64)
		require.NoError(t, err)
		t.Logf("%s: %s start_time %.4f s", name, s.CodecType, st)
		if s.CodecType == "video" {
			require.Zero(t, st, "video starts at the segment's UTC start")
		} else {
			// The first packet starts within one packet after the segment;
			// its first pre-skip samples are presented before 0.
			require.InDelta(t, 0.0, st, 0.021)
		}
	}
	beeps := beepOnsets(decodeAudio(t, info.Path))
	frames := decodeVideo(t, info.Path, 320, 180)
	checked := 0
	for sec := info.UTCStart.Truncate(time.Second).Add(time.Second); sec.Before(info.UTCEnd); sec = sec.Add(time.Second) {
		want := sec.Sub(info.UTCStart)
		beep, ok := nearest(beeps, want)
		require.True(t, ok, "%s: no beep for %s", name, sec.Format(time.TimeOnly))
		var white time.Time
		for _, w := range m.whites {
			if !w.Before(sec) && w.Sub(sec) < time.Second/fps {
				white = w
			}
		}
		require.False(t, white.IsZero())
		var shown time.Duration
		for _, f := range frames {
			if f.luma > 200 && (f.pts-want).Abs() < 100*time.Millisecond {
				shown = f.pts
			}
		}
		t.Logf("%s: second %s: beep at %v (error %v), white frame at %v (error %v), audio-video %v",
			name, sec.Format(time.TimeOnly), beep, beep-want, shown, shown-white.Sub(info.UTCStart), shown-beep)
		require.Less(t, (beep - want).Abs(), 2*time.Millisecond, "the beep starts on its second")
		require.Less(t, (shown - white.Sub(info.UTCStart)).Abs(), time.Millisecond, "the white frame is shown at its capture time")
		require.Less(t, (shown - beep).Abs(), time.Second/fps, "audio and video within one frame")
		checked++
	}
	return checked
}

// nearest returns the onset within 100 ms of want.
func nearest(onsets []time.Duration, want time.Duration) (time.Duration, bool) {
	for _, o := range onsets {
		if (o - want).Abs() < 100*time.Millisecond {
			return o, true
		}
	}
	return 0, false
}
