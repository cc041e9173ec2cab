package devices_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/frame"
)

// fakeTime returns a clock standing at t0 that moves only when a device
// sleeps; each sleep also yields a millisecond of real time so that a
// device retrying in a loop does not spin.
func fakeTime(t0 time.Time) devices.Options {
	c := testenv.NewClock(t0)
	return devices.Options{
		Now: c.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			c.Advance(d)
			time.Sleep(time.Millisecond)
			return ctx.Err()
		},
	}
}

// readN reads n frames.
func readN(t *testing.T, r interface {
	Read(context.Context) (frame.Frame, error)
}, n int) []frame.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := make([]frame.Frame, 0, n)
	for range n {
		f, err := r.Read(ctx)
		require.NoError(t, err)
		out = append(out, f)
	}
	return out
}

// writeVideo writes frames to a file ffmpeg reads: Annex-B for H.264,
// IVF (1 ms time base, times from the first frame) for VP8.
func writeVideo(t *testing.T, codec frame.Codec, w, h int, frames []frame.Frame) string {
	t.Helper()
	var b bytes.Buffer
	name := "video.h264"
	if codec == frame.VP8 {
		name = "video.ivf"
		hdr := make([]byte, 32)
		copy(hdr, "DKIF")
		binary.LittleEndian.PutUint16(hdr[6:], 32)
		copy(hdr[8:], "VP80")
		binary.LittleEndian.PutUint16(hdr[12:], uint16(w))
		binary.LittleEndian.PutUint16(hdr[14:], uint16(h))
		binary.LittleEndian.PutUint32(hdr[16:], 1000)
		binary.LittleEndian.PutUint32(hdr[20:], 1)
		binary.LittleEndian.PutUint32(hdr[24:], uint32(len(frames)))
		b.Write(hdr)
	}
	for _, f := range frames {
		if codec == frame.VP8 {
			var fh [12]byte
			binary.LittleEndian.PutUint32(fh[:], uint32(len(f.Data)))
			binary.LittleEndian.PutUint64(fh[4:], uint64(f.UTC.Sub(frames[0].UTC).Milliseconds()))
			b.Write(fh[:])
		}
		b.Write(f.Data)
	}
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

// probeStream is what ffprobe says of a file's first stream.
type probeStream struct {
	CodecName  string `json:"codec_name"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Channels   int    `json:"channels"`
	SampleRate string `json:"sample_rate"`
}

func ffprobe(t *testing.T, path string) probeStream {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", path).Output()
	require.NoError(t, err, "ffprobe %s", path)
	var r struct{ Streams []probeStream }
	require.NoError(t, json.Unmarshal(out, &r))
	require.Len(t, r.Streams, 1)
	return r.Streams[0]
}

// decodeLuma decodes a video file to one mean luma per frame, every
// coded frame exactly once.
func decodeLuma(t *testing.T, path string, w, h int) []float64 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough",
		"-f", "rawvideo", "-pix_fmt", "gray", "-").Output()
	require.NoError(t, err, "ffmpeg decode %s", path)
	n := w * h
	require.Zero(t, len(out)%n)
	var means []float64
	for i := 0; i < len(out); i += n {
		var s int
		for _, v := range out[i : i+n] {
			s += int(v)
		}
		means = append(means, float64(s)/float64(n))
	}
	return means
}

// writeOgg writes Opus packets into an Ogg Opus file (RFC 7845) with the
// encoder's pre-skip, one page per packet.
func writeOgg(t *testing.T, channels int, packets []frame.Frame) string {
	t.Helper()
	var b bytes.Buffer
	head := []byte("OpusHead\x01")
	head = append(head, byte(channels))
	head = binary.LittleEndian.AppendUint16(head, devices.OpusPreSkip)
	head = binary.LittleEndian.AppendUint32(head, 48000)
	head = append(head, 0, 0, 0)
	tags := []byte("OpusTags")
	tags = binary.LittleEndian.AppendUint32(tags, 4)
	tags = append(tags, "test"...)
	tags = binary.LittleEndian.AppendUint32(tags, 0)
	seq := uint32(0)
	page := func(flags byte, granule int64, pkt []byte) {
		p := []byte("OggS\x00")
		p = append(p, flags)
		p = binary.LittleEndian.AppendUint64(p, uint64(granule))
		p = binary.LittleEndian.AppendUint32(p, 7)
		p = binary.LittleEndian.AppendUint32(p, seq)
		p = append(p, 0, 0, 0, 0)
		var lacing []byte
		for n := len(pkt); ; n -= 255 {
			if n < 255 {
				lacing = append(lacing, byte(n))
				break
			}
			lacing = append(lacing, 255)
		}
		p = append(p, byte(len(lacing)))
		p = append(p, lacing...)
		p = append(p, pkt...)
		binary.LittleEndian.PutUint32(p[22:], oggCRC(p))
		b.Write(p)
		seq++
	}
	page(0x02, 0, head)
	page(0, 0, tags)
	for i, f := range packets {
		var flags byte
		if i == len(packets)-1 {
			flags = 0x04
		}
		page(flags, int64(devices.OpusPreSkip+(i+1)*960), f.Data)
	}
	path := filepath.Join(t.TempDir(), "audio.opus")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

// oggCRC is the Ogg page checksum (polynomial 0x04c11db7, not
// reflected).
func oggCRC(p []byte) uint32 {
	var crc uint32
	for _, v := range p {
		crc ^= uint32(v) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// decodePCM decodes an audio file to mono 16-bit samples at 48 kHz.
func decodePCM(t *testing.T, path string) []int16 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "48000", "-").Output()
	require.NoError(t, err, "ffmpeg decode %s", path)
	s := make([]int16, len(out)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(out[2*i:]))
	}
	return s
}
