package recorder

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/evalroom/evalroom/media/clock"
	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/media/ogg"
)

// t0 is the UTC start of the test recordings.
var t0 = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

// encodeH264 returns the access units of a test pattern encoded by
// ffmpeg's libx264: keyframe every second, no B-frames, an AUD before
// each access unit.
func encodeH264(t *testing.T, w, h, fps, seconds int) [][]byte {
	t.Helper()
	out := ffmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=%dx%d:rate=%d", w, h, fps), "-t", fmt.Sprint(seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", fmt.Sprint(fps), "-keyint_min", fmt.Sprint(fps),
		"-sc_threshold", "0", "-x264-params", "aud=1:repeat-headers=1", "-pix_fmt", "yuv420p", "-f", "h264", "-")
	aud := []byte{0, 0, 0, 1, 9}
	var aus [][]byte
	for _, part := range bytes.Split(out, aud) {
		if len(part) > 0 {
			aus = append(aus, append(append([]byte(nil), aud...), part...))
		}
	}
	if len(aus) != fps*seconds {
		t.Fatalf("ffmpeg gave %d access units, want %d", len(aus), fps*seconds)
	}
	return aus
}

// encodeOpus returns 20 ms Opus packets of a 1 kHz tone.
func encodeOpus(t *testing.T, seconds int) [][]byte {
	t.Helper()
	out := ffmpeg(t, "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", fmt.Sprint(seconds),
		"-ac", "1", "-c:a", "libopus", "-frame_duration", "20", "-f", "ogg", "-")
	r := ogg.NewReader(bytes.NewReader(out))
	var pkts [][]byte
	for i := 0; ; i++ {
		p, _, err := r.Packet()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ogg: %v", err)
		}
		if i >= 2 { // OpusHead, OpusTags
			pkts = append(pkts, p)
		}
	}
	return pkts
}

func ffmpeg(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// fakeSource yields pre-encoded frames stamped at a fixed rate from start,
// as fast as it is read (the archive path works in media time). It stops
// (blocks until ctx ends) after limit frames, when limit > 0.
type fakeSource struct {
	frames [][]byte
	gop    int // frames per keyframe interval (0: every frame is a key)
	rate   int // frames per second; frame i is stamped start + i/rate exactly
	start  time.Time
	limit  int
	// gapAfter, when > 0, skips gapLen frames after frame gapAfter and
	// flags the next one AfterGap.
	gapAfter, gapLen int
	// pace, when set, releases frames in step with the other sources.
	pace *pacer

	mu sync.Mutex
	n  int
	i  int
}

func (s *fakeSource) Read(ctx context.Context) (frame.Frame, error) {
	s.mu.Lock()
	if s.limit > 0 && s.n >= s.limit {
		s.mu.Unlock()
		<-ctx.Done()
		return frame.Frame{}, ctx.Err()
	}
	var gap string
	if s.gapAfter > 0 && s.n == s.gapAfter {
		s.i += s.gapLen
		gap = "设备中断: test"
	}
	idx := s.i % len(s.frames)
	f := frame.Frame{UTC: s.start.Add(time.Duration(s.i) * time.Second / time.Duration(s.rate)), Data: s.frames[idx], Duration: time.Second / time.Duration(s.rate),
		Key: s.gop == 0 || idx%s.gop == 0, AfterGap: gap}
	s.i++
	s.n++
	s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return frame.Frame{}, err
	}
	if s.pace != nil {
		s.pace.wait(ctx, f.UTC)
	}
	return f, nil
}

// pacer releases frames at speed times real time, so that a test's
// camera and microphone interleave as they would live (the segment
// writer's reorder window is half a second of media).
type pacer struct {
	media time.Time // media instant of real
	real  time.Time
	speed float64
}

func newPacer(media time.Time, speed float64) *pacer {
	return &pacer{media: media, real: time.Now(), speed: speed}
}

func (p *pacer) wait(ctx context.Context, at time.Time) {
	due := p.real.Add(time.Duration(float64(at.Sub(p.media)) / p.speed))
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

func (s *fakeSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// fixedClock is a corrected clock that reads the wall clock plus an offset.
type fixedClock struct{ offset time.Duration }

func (c fixedClock) Now() time.Time { return time.Now().Add(c.offset).UTC() }
func (c fixedClock) Estimate() (clock.Estimate, error) {
	return clock.Estimate{Offset: c.offset, Uncertainty: 2 * time.Millisecond, Delay: 4 * time.Millisecond, MeasuredAt: c.Now()}, nil
}

// liveSink records what the live path was given.
type liveSink struct {
	mu     sync.Mutex
	frames map[string]int
}

func (l *liveSink) Write(track string, _ frame.Frame) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.frames == nil {
		l.frames = map[string]int{}
	}
	l.frames[track]++
}

func (l *liveSink) count(track string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.frames[track]
}

func testKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// copyDir copies the regular files of src into a new folder: what a
// kill -9 leaves on disk (every write the writer made is in the page
// cache, synced or not).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
