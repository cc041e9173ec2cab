package devices

import (
	"context"
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"github.com/evalroom/evalroom/media/frame"
)

// Camera captures and encodes one camera. Read, ForceKeyframe, Health
// and Close may be called from any goroutine; Read by one reader.
type Camera struct {
	cfg   CameraConfig
	p     *pipe
	force atomic.Bool
}

// videoSource is an open camera.
type videoSource interface {
	// read returns the next picture (I420, valid until the next read)
	// and its capture time.
	read(ctx context.Context) (*image.YCbCr, time.Time, error)
	close() error
}

// OpenCamera opens the camera cfg names and starts capturing and
// encoding in a goroutine of its own until Close. It fails if cfg is
// invalid or the device cannot be opened now; once open, a lost device
// is retried every o.Retry.
func OpenCamera(cfg CameraConfig, o Options) (*Camera, error) {
	cfg, err := cfg.normalise()
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	open := func() (videoSource, error) { return openSyntheticVideo(cfg, o) }
	if cfg.Device != Synthetic {
		open = func() (videoSource, error) { return openDriverCamera(cfg, o.Now) }
	}
	src, err := open()
	if err != nil {
		return nil, fmt.Errorf("open camera %s (%s): %w", cfg.Name, cfg.Device, err)
	}
	enc, err := newVideoEncoder(cfg)
	if err != nil {
		_ = src.close()
		return nil, fmt.Errorf("open camera %s: %w", cfg.Name, err)
	}
	c := &Camera{cfg: cfg, p: newPipe(cfg.Name, "camera", cfg.Device, o, cfg.FPS)}
	c.p.start(&videoCapturer{cfg: cfg, open: open, src: src, enc: enc, force: &c.force})
	return c, nil
}

// Read returns the next coded frame: its UTC is the capture time of the
// picture it codes (Options.Now when the frame was read from a real
// camera; the synthetic frame's own time), Duration is 1/FPS, Key marks
// keyframes, and H.264 data is an Annex-B access unit with SPS and PPS
// before every IDR slice. The first frame after a device loss carries
// AfterGap ("device lost: cam1") and is a keyframe. Read returns
// ctx.Err() when ctx ends and an error wrapping ErrClosed after Close.
func (c *Camera) Read(ctx context.Context) (frame.Frame, error) { return c.p.Read(ctx) }

// ForceKeyframe makes the next encoded picture a keyframe (the live path
// asks after a reconnect or a PLI). Frames already queued for Read are
// not changed.
func (c *Camera) ForceKeyframe() { c.force.Store(true) }

// Config returns the configuration with its defaults filled in.
func (c *Camera) Config() CameraConfig { return c.cfg }

// Health returns the camera's current state.
func (c *Camera) Health() Health { return c.p.Health() }

// Close stops capturing and frees the device and the encoder. It is
// idempotent and returns the error of freeing them, if any.
func (c *Camera) Close() error { return c.p.Close() }

// videoCapturer is the capturer of a Camera.
type videoCapturer struct {
	cfg     CameraConfig
	open    func() (videoSource, error)
	src     videoSource
	enc     *videoEncoder
	force   *atomic.Bool
	gap     string
	lastKey time.Time
}

func (v *videoCapturer) step(ctx context.Context) ([]frame.Frame, error) {
	if v.enc == nil {
		enc, err := newVideoEncoder(v.cfg)
		if err != nil {
			return nil, err
		}
		v.enc = enc
	}
	img, at, err := v.src.read(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errLost, err)
	}
	// Keyframes follow capture time, not frame counts, so that a camera
	// running slow in dim light still keeps the interval: a frame is a
	// keyframe when the interval, less half a frame (and 1 ms for the
	// rounding of frame times), has passed since the last one.
	key := v.force.Swap(false) || v.gap != "" || v.lastKey.IsZero() ||
		at.Sub(v.lastKey) >= v.cfg.KeyframeInterval-v.cfg.period()/2-time.Millisecond
	f, ok, err := v.enc.encode(img, stamp{at: at, gap: v.gap}, key)
	v.gap = ""
	if err != nil {
		_ = v.enc.Close()
		v.enc = nil
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	if f.Key {
		v.lastKey = f.UTC
	}
	return []frame.Frame{f}, nil
}

func (v *videoCapturer) markGap(reason string) {
	if v.gap == "" {
		v.gap = reason
	}
}

func (v *videoCapturer) closeDevice() {
	if v.src != nil {
		_ = v.src.close()
		v.src = nil
	}
}

func (v *videoCapturer) reopen() error {
	src, err := v.open()
	if err != nil {
		return err
	}
	v.src = src
	return nil
}

func (v *videoCapturer) close() error {
	var err error
	if v.src != nil {
		err = v.src.close()
	}
	if v.enc != nil {
		if e := v.enc.Close(); err == nil {
			err = e
		}
	}
	return err
}
