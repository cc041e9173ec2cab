package segment_test

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
	"github.com/evalroom/evalroom/recorder/segment"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 50, 0, time.UTC)

const fps = 15

// media is real H.264 or VP8 (320×180, 15 fps, a keyframe each second)
// and Opus.
type media struct {
	codec fmp4.Codec
	video [][]byte
	audio fmp4test.OpusStream
}

func newMedia(t *testing.T, seconds int) media {
	return newMediaCodec(t, fmp4.H264, seconds)
}

func newMediaCodec(t *testing.T, codec fmp4.Codec, seconds int) media {
	v := fmp4test.Video{Width: 320, Height: 180, FPS: fps, Seconds: float64(seconds), GOP: fps}
	m := media{codec: codec, audio: fmp4test.Opus(t, float64(seconds))}
	if codec == fmp4.VP8 {
		m.video = fmp4test.VP8(t, v)
	} else {
		m.video = fmp4test.H264(t, v)
	}
	require.Len(t, m.video, seconds*fps)
	return m
}

func tracks(m media) []fmp4.Track {
	return []fmp4.Track{
		{ID: 1, Kind: fmp4.Video, Codec: m.codec},
		{ID: 2, Kind: fmp4.Audio, Codec: fmp4.Opus, Channels: m.audio.Head.Channels, PreSkip: m.audio.Head.PreSkip},
	}
}

type event struct {
	arrive time.Time
	track  uint32
	frame  segment.Frame
}

// events re-times the media from start: video frame i is captured at
// start + i/15 s, audio packets follow each other by their durations.
// Audio arrives 30 ms after its capture (an encoder's delay), so the
// writer sees the tracks slightly out of order, as from a real pipeline.
func (m media) events(start time.Time, from, to time.Duration) []event {
	var evs []event
	for i, au := range m.video {
		at := time.Duration(i) * time.Second / fps
		if at >= from && at < to {
			evs = append(evs, event{start.Add(at), 1, segment.Frame{UTC: start.Add(at), Data: au}})
		}
	}
	at := time.Duration(0)
	for _, pkt := range m.audio.Packets {
		d := time.Duration(fmp4.OpusPacketSamples(pkt)) * time.Second / 48000
		if at >= from && at < to {
			evs = append(evs, event{start.Add(at + 30*time.Millisecond), 2, segment.Frame{UTC: start.Add(at), Data: pkt}})
		}
		at += d
	}
	sortEvents(evs)
	return evs
}

// sortEvents orders events by arrival, keeping the order of equal ones.
func sortEvents(evs []event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].arrive.Before(evs[j].arrive) })
}

// feed writes the events, moving the clock to each arrival.
func feed(t *testing.T, w *segment.Writer, clock *testenv.Clock, evs []event) {
	t.Helper()
	for _, ev := range evs {
		clock.Set(ev.arrive)
		require.NoError(t, w.WriteFrame(ev.track, ev.frame))
	}
}
