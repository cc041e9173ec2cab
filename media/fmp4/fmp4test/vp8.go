package fmp4test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// VP8 encodes ffmpeg's testsrc with libvpx as a live encoder runs
// (realtime deadline, no look-ahead, no hidden alt-ref frames) into IVF
// and returns its frames, one compressed frame each.
func VP8(tb testing.TB, v Video) [][]byte {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "video.ivf")
	run(tb, "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
		"-i", fmt.Sprintf("testsrc=size=%dx%d:rate=%d", v.Width, v.Height, v.FPS),
		"-t", fmt.Sprint(v.Seconds), "-pix_fmt", "yuv420p", "-c:v", "libvpx",
		"-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0", "-auto-alt-ref", "0",
		"-b:v", "500k", "-g", fmt.Sprint(v.GOP), "-keyint_min", fmt.Sprint(v.GOP), "-f", "ivf", out)
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	frames, err := ParseIVF(data)
	if err != nil {
		tb.Fatal(err)
	}
	if len(frames) == 0 {
		tb.Fatal("fmp4test: no frames in the IVF file")
	}
	return frames
}

// ParseIVF returns the frames of an IVF file (the simple container of
// libvpx's tools: a 32-byte header "DKIF", then per frame a 12-byte
// header with the little-endian frame size and timestamp).
func ParseIVF(data []byte) ([][]byte, error) {
	if len(data) < 32 || string(data[:4]) != "DKIF" {
		return nil, fmt.Errorf("fmp4test: not an IVF file")
	}
	hdr := int(binary.LittleEndian.Uint16(data[6:]))
	if hdr < 32 || hdr > len(data) {
		return nil, fmt.Errorf("fmp4test: IVF header of %d bytes", hdr)
	}
	var frames [][]byte
	for p := data[hdr:]; len(p) > 0; {
		if len(p) < 12 {
			return nil, fmt.Errorf("fmp4test: IVF frame header cut at %d bytes", len(p))
		}
		n := int(binary.LittleEndian.Uint32(p))
		if n > len(p)-12 {
			return nil, fmt.Errorf("fmp4test: IVF frame of %d bytes in %d", n, len(p)-12)
		}
		frames = append(frames, p[12:12+n])
		p = p[12+n:]
	}
	return frames, nil
}
