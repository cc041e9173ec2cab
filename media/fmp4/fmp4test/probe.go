package fmp4test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"testing"
)

// Probe is the part of `ffprobe -show_streams -show_format` that tests
// check.
type Probe struct {
	Streams []Stream `json:"streams"`
	Format  struct {
		Duration string            `json:"duration"`
		Tags     map[string]string `json:"tags"`
	} `json:"format"`
}

// Stream is one stream of a Probe.
type Stream struct {
	CodecType  string `json:"codec_type"`
	CodecName  string `json:"codec_name"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	SampleRate string `json:"sample_rate"`
	Channels   int    `json:"channels"`
	Duration   string `json:"duration"`
	StartTime  string `json:"start_time"`
	NbFrames   string `json:"nb_frames"`
}

// Seconds returns the format duration in seconds (0 when absent).
func (p Probe) Seconds() float64 {
	v, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return v
}

// Stream returns the first stream of the codec type ("video", "audio").
func (p Probe) Stream(codecType string) (Stream, bool) {
	for _, s := range p.Streams {
		if s.CodecType == codecType {
			return s, true
		}
	}
	return Stream{}, false
}

// FFprobe runs ffprobe on path; it fails the test when ffprobe reports an
// error.
func FFprobe(tb testing.TB, path string) Probe {
	tb.Helper()
	p, err := FFprobeErr(path)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// FFprobeErr runs ffprobe on path and returns what it found, or an error
// with ffprobe's messages.
func FFprobeErr(path string) (Probe, error) {
	cmd := exec.Command("ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Probe{}, fmt.Errorf("ffprobe %s: %v: %s", path, err, stderr.String())
	}
	if stderr.Len() > 0 {
		return Probe{}, fmt.Errorf("ffprobe %s: %s", path, stderr.String())
	}
	var p Probe
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		return Probe{}, fmt.Errorf("ffprobe %s: %w", path, err)
	}
	return p, nil
}

// Decode decodes every stream of path with ffmpeg and returns an error
// holding ffmpeg's messages if it printed any at level error.
func Decode(path string) error {
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg decode %s: %v: %s", path, err, stderr.String())
	}
	if stderr.Len() > 0 {
		return fmt.Errorf("ffmpeg decode %s: %s", path, stderr.String())
	}
	return nil
}

// CountFrames decodes the first stream of the codec type ("video",
// "audio") of path with ffprobe and returns the number of frames read.
func CountFrames(path, codecType string) (int, error) {
	sel := map[string]string{"video": "v:0", "audio": "a:0"}[codecType]
	if sel == "" {
		return 0, fmt.Errorf("ffprobe: codec type %q", codecType)
	}
	cmd := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", sel,
		"-show_entries", "stream=nb_read_frames", "-of", "default=nw=1:nk=1", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		return 0, fmt.Errorf("ffprobe %s: %v: %s", path, err, stderr.String())
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(stdout.Bytes())))
	if err != nil {
		return 0, fmt.Errorf("ffprobe %s: frame count %q: %w", path, stdout.String(), err)
	}
	return n, nil
}
