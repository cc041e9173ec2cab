package segment_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices/synthetic"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
	"github.com/evalroom/evalroom/media/ogg"
	"github.com/evalroom/evalroom/recorder/segment"
)

// markers is media that marks each whole UTC second, made by the
// synthetic camera and microphone and encoded by ffmpeg: the first video
// frame of each second is white, and the audio beeps from each second on.
// Every frame carries the UTC its source stamped.
type markers struct {
	codec   fmp4.Codec
	video   []segment.Frame
	whites  []time.Time // capture times of the white frames
	audio   []segment.Frame
	preSkip int
}

// fakeTime runs a device on a clock that moves only when it sleeps.
func fakeTime(t0 time.Time) (func() time.Time, func(context.Context, time.Duration) error) {
	c := testenv.NewClock(t0)
	return c.Now, func(_ context.Context, d time.Duration) error { c.Advance(d); return nil }
}

// markersStart is when the marker media of the tests begins: 50 ms
// before a whole second, so that segments do not start on one.
var markersStart = time.Date(2025, 3, 14, 9, 26, 49, 950_000_000, time.UTC)

// sixSeconds caches 6 s of marker media per codec from markersStart,
// which several tests record (encoding it is the slow part).
var sixSeconds = struct {
	sync.Mutex
	m map[fmp4.Codec]markers
}{m: map[fmp4.Codec]markers{}}

// sixSecondsOf returns 6 s of marker media from markersStart. The frames'
// data must not be changed.
func sixSecondsOf(t *testing.T, codec fmp4.Codec) markers {
	t.Helper()
	sixSeconds.Lock()
	defer sixSeconds.Unlock()
	m, ok := sixSeconds.m[codec]
	if !ok {
		m = newMarkers(t, codec, markersStart, 6*time.Second)
		sixSeconds.m[codec] = m
	}
	return m
}

// newMarkers captures d of synthetic media from start (320×180 at 15
// fps, a keyframe each second; 20 ms Opus packets) and encodes it.
func newMarkers(t *testing.T, codec fmp4.Codec, start time.Time, d time.Duration) markers {
	t.Helper()
	ctx := context.Background()
	m := markers{codec: codec}

	now, sleep := fakeTime(start)
	cam, err := synthetic.NewVideo(synthetic.VideoParams{Width: 320, Height: 180, FPS: fps, Now: now, Sleep: sleep})
	require.NoError(t, err)
	var raw bytes.Buffer
	var times []time.Time
	for i := 0; i < int(d*fps/time.Second); i++ {
		f, err := cam.Read(ctx)
		require.NoError(t, err)
		raw.Write(f.Image.Y)
		raw.Write(f.Image.Cb)
		raw.Write(f.Image.Cr)
		times = append(times, f.At)
		if f.White {
			m.whites = append(m.whites, f.At)
		}
	}
	frames := encodeVideo(t, codec, raw.Bytes())
	require.Len(t, frames, len(times))
	for i, data := range frames {
		m.video = append(m.video, segment.Frame{UTC: times[i], Data: data})
	}

	now, sleep = fakeTime(start)
	mic, err := synthetic.NewAudio(synthetic.AudioParams{SampleRate: 48000, Chunk: 20 * time.Millisecond, Now: now, Sleep: sleep})
	require.NoError(t, err)
	var pcm bytes.Buffer
	var audioStart time.Time
	for i := 0; i < int(d/(20*time.Millisecond)); i++ {
		c, err := mic.Read(ctx)
		require.NoError(t, err)
		if i == 0 {
			audioStart = c.At
		}
		require.NoError(t, binary.Write(&pcm, binary.LittleEndian, c.Samples))
	}
	head, packets := encodeOpus(t, pcm.Bytes())
	m.preSkip = head.PreSkip
	// A live encoder stamps each packet with the capture time of the
	// first sample of the 20 ms of input it was given to make it.
	at := audioStart
	for _, pkt := range packets {
		m.audio = append(m.audio, segment.Frame{UTC: at, Data: pkt})
		at = at.Add(time.Duration(fmp4.OpusPacketSamples(pkt)) * time.Second / 48000)
	}
	return m
}

func (m markers) tracks() []fmp4.Track {
	return []fmp4.Track{
		{ID: 1, Kind: fmp4.Video, Codec: m.codec},
		{ID: 2, Kind: fmp4.Audio, Codec: fmp4.Opus, Channels: 1, PreSkip: m.preSkip},
	}
}

// events interleaves the frames as a live pipeline delivers them: each
// at its capture time, audio 30 ms later (the encoder's delay).
func (m markers) events() []event {
	var evs []event
	for _, f := range m.video {
		evs = append(evs, event{f.UTC, 1, f})
	}
	for _, f := range m.audio {
		evs = append(evs, event{f.UTC.Add(30 * time.Millisecond), 2, f})
	}
	sortEvents(evs)
	return evs
}

// encodeVideo pipes raw I420 frames through ffmpeg (libx264 veryfast
// without B-frames, or libvpx realtime) and returns one coded frame per
// input frame.
func encodeVideo(t *testing.T, codec fmp4.Codec, raw []byte) [][]byte {
	args := []string{"-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "320x180",
		"-r", fmt.Sprint(fps), "-i", "-", "-g", fmt.Sprint(fps), "-keyint_min", fmt.Sprint(fps)}
	if codec == fmp4.VP8 {
		args = append(args, "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
			"-lag-in-frames", "0", "-auto-alt-ref", "0", "-b:v", "500k", "-f", "ivf", "-")
	} else {
		args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-bf", "0",
			"-bsf:v", "h264_mp4toannexb", "-f", "h264", "-")
	}
	out := ffmpeg(t, raw, args...)
	if codec == fmp4.VP8 {
		frames, err := fmp4test.ParseIVF(out)
		require.NoError(t, err)
		return frames
	}
	return fmp4test.SplitAccessUnits(out)
}

// encodeOpus encodes 48 kHz mono s16le with libopus into Ogg and returns
// the stream's header and audio packets.
func encodeOpus(t *testing.T, pcm []byte) (ogg.OpusHead, [][]byte) {
	out := ffmpeg(t, pcm, "-v", "error", "-f", "s16le", "-ar", "48000", "-ac", "1", "-i", "-",
		"-c:a", "libopus", "-b:a", "64k", "-f", "ogg", "-")
	r := ogg.NewReader(bytes.NewReader(out))
	var head ogg.OpusHead
	var packets [][]byte
	for i := 0; ; i++ {
		pkt, _, err := r.Packet()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch i {
		case 0:
			head, err = ogg.ParseOpusHead(pkt)
			require.NoError(t, err)
		case 1: // OpusTags
		default:
			packets = append(packets, pkt)
		}
	}
	return head, packets
}

// ffmpeg runs ffmpeg with stdin and returns its stdout.
func ffmpeg(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "ffmpeg %v: %s", args, stderr.String())
	return stdout.Bytes()
}
