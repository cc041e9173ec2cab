package segment_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/recorder/segment"
)

// playState is what the page's state() returns.
type playState struct {
	Width    int      `json:"width"`
	Height   int      `json:"height"`
	Duration float64  `json:"duration"`
	Time     float64  `json:"time"`
	Error    string   `json:"error"`
	Events   []string `json:"events"`
}

// seekResult is what the page's seek() returns: the currentTime, the
// media time of the frame presented, and its mean luma.
type seekResult struct {
	Time  float64 `json:"time"`
	Frame float64 `json:"frame"`
	Luma  float64 `json:"luma"`
}

// frameAt returns the offset from start of the last video frame captured
// at or before start + offset seconds.
func frameAt(m markers, start time.Time, offset float64) float64 {
	at := start.Add(time.Duration(offset * float64(time.Second)))
	best := 0.0
	for _, f := range m.video {
		if !f.UTC.After(at) {
			best = f.UTC.Sub(start).Seconds()
		}
	}
	return best
}

// TestChromiumPlaysSegments plays segments written by the Writer (H.264 +
// Opus, and VP8 + Opus) in headless Chromium from an HTTP server that
// answers with partial ranges: the picture has the size written, the
// duration is the segment's within one frame, playback advances without
// an error, and seeking to an offset presents the frame captured at the
// segment's UTC start plus that offset (checked by the frame's media time
// and by its picture: the white frame of a second, or a dark one), so a
// browser's currentTime is the offset from the UTC start. Chromium reads
// a segment this small completely while it probes the streams (before
// loadedmetadata), so the seeks themselves fetch nothing new.
func TestChromiumPlaysSegments(t *testing.T) {
	chromium := chromiumPath(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	dir := t.TempDir()
	start := markersStart
	type recorded struct {
		info segment.SegmentInfo
		m    markers
	}
	var segs []recorded
	for _, codec := range []fmp4.Codec{fmp4.H264, fmp4.VP8} {
		m := sixSecondsOf(t, codec)
		clock := testenv.NewClock(start)
		var log closedLog
		w, err := segment.NewWriter(segment.Params{Dir: dir, Recorder: "cam-" + codec.String(), Tracks: m.tracks(),
			Fsync: segment.FsyncNever, Now: clock.Now, OnClosed: log.add})
		require.NoError(t, err)
		feed(t, w, clock, m.events())
		require.NoError(t, w.Close())
		require.Len(t, log.all(), 1)
		segs = append(segs, recorded{log.all()[0], m})
	}

	media := newRangeServer(dir, 16<<10)
	srv := httptest.NewServer(media)
	defer srv.Close()
	ctx, stop := newBrowser(t, chromium)
	defer stop()
	support, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
	  const v = document.createElement('video');
	  return ['avc1.64001f', 'vp08', 'opus'].map(c => {
	    const type = 'video/mp4; codecs="' + c + '"';
	    return c + ': canPlayType "' + v.canPlayType(type) + '", MSE ' + MediaSource.isTypeSupported(type);
	  }).join('; ');
	})()`))
	require.NoError(t, err)
	t.Logf("Chromium reports for MP4: %s", support)
	for _, s := range segs {
		t.Run(s.m.codec.String(), func(t *testing.T) {
			checkPlayback(ctx, t, srv.URL, media, s.info, s.m)
		})
	}
}

func checkPlayback(ctx context.Context, t *testing.T, base string, media *rangeServer, info segment.SegmentInfo, m markers) {
	name := filepath.Base(info.Path)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/play?f="+url.QueryEscape(name))))

	st, err := chromedp.Run(ctx, chromedp.Evaluate[playState](`metadata()`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	scan, err := segment.Inspect(info.Path)
	require.NoError(t, err)
	length := info.UTCEnd.Sub(info.UTCStart).Seconds()
	t.Logf("%s: %d×%d, duration %.3f s in Chromium, %.3f s written (%d frames)", name, st.Width, st.Height, st.Duration, length, scan.Frames)
	require.Equal(t, 320, st.Width)
	require.Equal(t, 180, st.Height)
	require.InDelta(t, length, st.Duration, 1.0/fps, "duration within one frame")
	atMetadata := len(media.ranges(name))

	st, err = chromedp.Run(ctx, chromedp.Evaluate[playState](`playUntil(1.0)`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Greater(t, st.Time, 1.0, "currentTime advances")
	require.Empty(t, st.Error)
	require.Contains(t, st.Events, "playing")

	// Seek 3 ms after and before the white frame of the fifth second is
	// due, and 3 ms before and after the next frame is: the browser must
	// present the frame captured at UTC start + currentTime, so a shift
	// by the Opus pre-skip (6.5 ms) or by a frame would show.
	white := m.whites[4].Sub(info.UTCStart).Seconds()
	const frame, margin = 1.0 / fps, 0.003
	for _, offset := range []float64{white + margin, white - margin, white + frame - margin, white + frame + margin} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[seekResult](fmt.Sprintf(`seek(%f)`, offset), chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		want := frameAt(m, info.UTCStart, offset)
		t.Logf("%s: seek to %.3f s (UTC %s): frame of %.4f s shown, mean luma %.0f", name, offset,
			info.UTCStart.Add(time.Duration(offset*float64(time.Second))).Format("15:04:05.000"), got.Frame, got.Luma)
		require.InDelta(t, offset, got.Time, 0.0005)
		require.InDelta(t, want, got.Frame, 0.001, "the frame captured at UTC start + %.4f s is shown", want)
		if want == white {
			require.Greater(t, got.Luma, 200.0, "the white frame is shown")
		} else {
			require.Less(t, got.Luma, 100.0, "a dark frame is shown")
		}
	}
	saveScreenshot(ctx, t, "segment-playback-"+m.codec.String()+".png")

	st, err = chromedp.Run(ctx, chromedp.Evaluate[playState](`state()`))
	require.NoError(t, err)
	require.Empty(t, st.Error)
	require.NotContains(t, st.Events, "error")

	ranges := media.ranges(name)
	t.Logf("%s: %d range responses, %d of them before loadedmetadata: %v", name, len(ranges), atMetadata, ranges)
	later := false
	for _, r := range ranges {
		require.Equal(t, 206, r.status, "every response is a partial one")
		later = later || r.start > 0
	}
	require.True(t, later, "the browser asked for ranges at offsets")
}
