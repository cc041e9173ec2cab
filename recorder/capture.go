package recorder

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/recorder/segment"
)

// RestartReason is the gap reason recorded between the archive a crashed
// or stopped recorder left and its first frame after the restart.
const RestartReason = "录像程序重启"

// camState is a camera's writer and counters.
type camState struct {
	cam Camera
	w   *segment.Writer

	mu        sync.Mutex
	frames    int64
	errors    int64
	lastUTC   time.Time // capture time of the last frame written
	lastEnd   time.Time // end of the last frame written (or of the archive before a restart)
	lastErr   string
	sealed    int64
	lastSeal  time.Time
	sealErr   string
	restarted bool // a gap since the archive's end still has to be marked
}

// micState is the microphone's counters.
type micState struct {
	mic Microphone

	mu      sync.Mutex
	frames  int64
	lastUTC time.Time
	lastEnd time.Time
	lastErr string
}

// captureCamera reads the camera until ctx ends, writing each frame to the
// camera's segments and to the live path.
func (r *Recorder) captureCamera(ctx context.Context, c *camState) {
	log := r.p.Logger.With("camera", c.cam.Name)
	for {
		f, err := c.cam.Source.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.note(err)
			log.Error("camera read failed; retrying", "err", err)
			if sleepCtx(ctx, time.Second) != nil {
				return
			}
			continue
		}
		r.writeVideo(c, f)
		if r.p.Live != nil {
			r.p.Live.Write(c.cam.Name, f)
		}
	}
}

// writeVideo marks any gap before f and writes f to the camera's segments.
func (r *Recorder) writeVideo(c *camState, f frame.Frame) {
	c.mu.Lock()
	prevEnd, restarted := c.lastEnd, c.restarted
	c.restarted = false
	c.mu.Unlock()
	switch {
	case restarted && !prevEnd.IsZero() && f.UTC.After(prevEnd):
		r.markGap(c, prevEnd, f.UTC, RestartReason)
	case f.AfterGap != "" && !prevEnd.IsZero() && f.UTC.After(prevEnd):
		r.markGap(c, prevEnd, f.UTC, f.AfterGap)
	}
	err := c.w.WriteFrame(videoTrack, segment.Frame{UTC: f.UTC, Data: f.Data, Duration: f.Duration})
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errors++
		c.lastErr = err.Error()
		if !errors.Is(err, segment.ErrNeedKeyframe) {
			r.p.Logger.Warn("frame not archived", "camera", c.cam.Name, "err", err)
		}
		return
	}
	c.frames++
	c.lastUTC = f.UTC
	c.lastEnd = f.UTC.Add(f.Duration)
}

func (r *Recorder) markGap(c *camState, from, to time.Time, reason string) {
	if err := c.w.MarkGap(from, to, reason); err != nil {
		r.p.Logger.Error("gap not recorded", "camera", c.cam.Name, "from", from, "to", to, "reason", reason, "err", err)
		return
	}
	r.p.Logger.Warn("gap recorded", "camera", c.cam.Name, "from", from, "to", to, "reason", reason)
}

// captureMic reads the microphone until ctx ends, writing each packet into
// every camera's segments and to the live path.
func (r *Recorder) captureMic(ctx context.Context) {
	m := r.mic
	log := r.p.Logger.With("microphone", m.mic.Name)
	for {
		f, err := m.mic.Source.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.mu.Lock()
			m.lastErr = err.Error()
			m.mu.Unlock()
			log.Error("microphone read failed; retrying", "err", err)
			if sleepCtx(ctx, time.Second) != nil {
				return
			}
			continue
		}
		m.mu.Lock()
		prevEnd := m.lastEnd
		m.frames++
		m.lastUTC, m.lastEnd = f.UTC, f.UTC.Add(f.Duration)
		m.mu.Unlock()
		for _, c := range r.cams {
			if f.AfterGap != "" && !prevEnd.IsZero() && f.UTC.After(prevEnd) {
				r.markGap(c, prevEnd, f.UTC, f.AfterGap)
			}
			err := c.w.WriteFrame(audioTrack, segment.Frame{UTC: f.UTC, Data: f.Data, Duration: f.Duration})
			if err != nil && !errors.Is(err, segment.ErrNeedKeyframe) {
				log.Warn("audio not archived", "camera", c.cam.Name, "err", err)
			}
		}
		if r.p.Live != nil {
			r.p.Live.Write(m.mic.Name, f)
		}
	}
}

func (c *camState) note(err error) {
	c.mu.Lock()
	c.errors++
	c.lastErr = err.Error()
	c.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
