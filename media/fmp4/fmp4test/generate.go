package fmp4test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/ogg"
)

// Video asks for an H.264 test stream.
type Video struct {
	Width, Height int
	FPS           int
	Seconds       float64
	// GOP is the keyframe interval in frames.
	GOP int
}

// H264 encodes ffmpeg's testsrc with libx264 (preset veryfast, no
// B-frames, as a live encoder runs) and returns its access units in
// Annex-B form, in decode order.
func H264(tb testing.TB, v Video) [][]byte {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "video.h264")
	run(tb, "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
		"-i", fmt.Sprintf("testsrc=size=%dx%d:rate=%d", v.Width, v.Height, v.FPS),
		"-t", fmt.Sprint(v.Seconds), "-pix_fmt", "yuv420p", "-c:v", "libx264",
		"-preset", "veryfast", "-bf", "0", "-g", fmt.Sprint(v.GOP),
		"-bsf:v", "h264_mp4toannexb", "-f", "h264", out)
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	aus := SplitAccessUnits(data)
	if len(aus) == 0 {
		tb.Fatal("fmp4test: no access units in the H.264 stream")
	}
	return aus
}

// OpusStream is an Opus test stream.
type OpusStream struct {
	Head    ogg.OpusHead
	Packets [][]byte
}

// Opus encodes a 1 kHz sine at 48 kHz with libopus into Ogg and returns
// its header and audio packets.
func Opus(tb testing.TB, seconds float64) OpusStream {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "audio.ogg")
	run(tb, "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=1000:r=48000",
		"-t", fmt.Sprint(seconds), "-c:a", "libopus", "-f", "ogg", out)
	f, err := os.Open(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := ogg.NewReader(f)
	var s OpusStream
	for i := 0; ; i++ {
		pkt, _, err := r.Packet()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		switch i {
		case 0:
			if s.Head, err = ogg.ParseOpusHead(pkt); err != nil {
				tb.Fatal(err)
			}
		case 1: // OpusTags
		default:
			s.Packets = append(s.Packets, pkt)
		}
	}
	return s
}

// SplitAccessUnits cuts an Annex-B H.264 stream into access units
// (ITU-T H.264 7.4.1.2.3): a new one begins at an AUD, SPS, PPS or SEI
// that follows a slice, or at a slice whose first_mb_in_slice is 0.
func SplitAccessUnits(stream []byte) [][]byte {
	var aus [][]byte
	var cur bytes.Buffer
	hasSlice := false
	fmp4.SplitAnnexB(stream, func(nal []byte) bool {
		t := fmp4.NALType(nal)
		vcl := t >= 1 && t <= 5
		firstMB := vcl && len(nal) > 1 && nal[1]&0x80 != 0
		if hasSlice && (!vcl || firstMB) && (t <= 9) {
			aus = append(aus, bytes.Clone(cur.Bytes()))
			cur.Reset()
			hasSlice = false
		}
		cur.Write([]byte{0, 0, 0, 1})
		cur.Write(nal)
		hasSlice = hasSlice || vcl
		return true
	})
	if hasSlice {
		aus = append(aus, bytes.Clone(cur.Bytes()))
	}
	return aus
}

func run(tb testing.TB, name string, args ...string) {
	tb.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s: %v: %s", name, err, stderr.String())
	}
}
