package segment_test

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// decodeAudio decodes the first audio stream of path with ffmpeg to 48
// kHz mono samples placed on the file's presentation timeline: sample n
// is presented at n/48000 s (-copyts keeps the file's timestamps;
// aresample pads or trims the start so that the output begins at 0).
func decodeAudio(t *testing.T, path string) []int16 {
	t.Helper()
	out := ffmpeg(t, nil, "-v", "error", "-copyts", "-i", path, "-map", "0:a:0",
		"-af", "aresample=async=1:first_pts=0", "-ac", "1", "-ar", "48000", "-f", "s16le", "-")
	samples := make([]int16, len(out)/2)
	require.NoError(t, binary.Read(bytes.NewReader(out), binary.LittleEndian, samples))
	return samples
}

// beepOnsets returns the presentation times of the beeps in samples: the
// first sample louder than a quarter of the beep's amplitude after at
// least 200 ms of quieter ones.
func beepOnsets(samples []int16) []time.Duration {
	const threshold, quiet = 3000, 48000 / 5
	var out []time.Duration
	last := -quiet
	for i, s := range samples {
		if s > threshold || s < -threshold {
			if i-last >= quiet {
				out = append(out, time.Duration(i)*time.Second/48000)
			}
			last = i
		}
	}
	return out
}

// videoFrame is a decoded picture: its presentation time and mean luma.
type videoFrame struct {
	pts  time.Duration
	luma float64
}

// decodeVideo decodes the first video stream of path (w×h) with ffmpeg
// and returns every frame with its presentation time, as ffprobe reads
// it from the file.
func decodeVideo(t *testing.T, path string, w, h int) []videoFrame {
	t.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	var frames []videoFrame
	for _, line := range strings.Fields(stdout.String()) {
		sec, err := strconv.ParseFloat(strings.TrimSuffix(line, ","), 64)
		require.NoError(t, err, line)
		frames = append(frames, videoFrame{pts: time.Duration(sec * float64(time.Second))})
	}
	out := ffmpeg(t, nil, "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
		"-f", "rawvideo", "-pix_fmt", "gray", "-")
	size := w * h
	require.Equal(t, len(frames)*size, len(out), "one picture per frame")
	for i := range frames {
		sum := 0
		for _, y := range out[i*size : (i+1)*size] {
			sum += int(y)
		}
		frames[i].luma = float64(sum) / float64(size)
	}
	return frames
}
