package devices

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	mdframe "github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// formatPreference orders the pixel formats a camera may offer: raw
// formats first (no decoding), MJPEG last.
var formatPreference = []mdframe.Format{
	mdframe.FormatI420, mdframe.FormatNV12, mdframe.FormatNV21,
	mdframe.FormatYUYV, mdframe.FormatYUY2, mdframe.FormatUYVY, mdframe.FormatMJPEG,
}

// driverCamera is a real camera opened through mediadevices (V4L2).
type driverCamera struct {
	d       driver.Driver
	r       video.Reader
	now     func() time.Time
	release func()
	compact *image.YCbCr
}

// openDriverCamera opens the camera cfg.Device names at cfg's size and
// rate, in the best pixel format it offers at that size; the pictures
// are converted to I420.
func openDriverCamera(cfg CameraConfig, now func() time.Time) (videoSource, error) {
	driverMu.Lock()
	defer driverMu.Unlock()
	d, err := findDriver(driver.Camera, cfg.Device)
	if err != nil {
		return nil, err
	}
	rec, ok := d.(driver.VideoRecorder)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a video recorder", ErrNotFound, cfg.Device)
	}
	if err := d.Open(); err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg.Device, err)
	}
	p, err := chooseVideoProp(d.Properties(), cfg)
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	r, err := rec.VideoRecord(p) // closes d on failure
	if err != nil {
		return nil, fmt.Errorf("start %s %dx%d %s: %w", cfg.Device, p.Width, p.Height, p.FrameFormat, err)
	}
	return &driverCamera{d: d, r: video.ToI420(r), now: now, release: func() {}}, nil
}

// chooseVideoProp picks the format for cfg's exact size that reaches its
// frame rate, preferring raw formats.
func chooseVideoProp(props []prop.Media, cfg CameraConfig) (prop.Media, error) {
	var best prop.Media
	rank := len(formatPreference)
	for _, p := range props {
		if p.Width != cfg.Width || p.Height != cfg.Height || (p.FrameRate != 0 && p.FrameRate < float32(cfg.FPS)) {
			continue
		}
		if i := slices.Index(formatPreference, p.FrameFormat); i >= 0 && i < rank {
			best, rank = p, i
		}
	}
	if rank == len(formatPreference) {
		return prop.Media{}, fmt.Errorf("%w: %dx%d@%d (offered: %s)", ErrUnsupported, cfg.Width, cfg.Height, cfg.FPS,
			strings.Join(videoFormats(props), ", "))
	}
	best.FrameRate = float32(cfg.FPS)
	return best, nil
}

func (c *driverCamera) read(_ context.Context) (*image.YCbCr, time.Time, error) {
	c.release()
	c.release = func() {}
	img, release, err := c.r.Read()
	at := c.now()
	if err != nil {
		return nil, at, err
	}
	c.release = release
	y, ok := img.(*image.YCbCr)
	if !ok || y.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, at, fmt.Errorf("camera gave %T, not I420", img)
	}
	return c.tight(y), at, nil
}

// tight returns y with strides equal to its width, as the encoders
// expect, copying it if needed.
func (c *driverCamera) tight(y *image.YCbCr) *image.YCbCr {
	b := y.Bounds()
	w := b.Dx()
	if y.YStride == w && y.CStride == (w+1)/2 && b.Min == (image.Point{}) {
		return y
	}
	if c.compact == nil || c.compact.Bounds().Size() != b.Size() {
		c.compact = image.NewYCbCr(image.Rect(0, 0, w, b.Dy()), image.YCbCrSubsampleRatio420)
	}
	for row := 0; row < b.Dy(); row++ {
		copy(c.compact.Y[row*c.compact.YStride:][:w], y.Y[y.YOffset(b.Min.X, b.Min.Y+row):][:w])
	}
	cw := (w + 1) / 2
	for row := 0; row < (b.Dy()+1)/2; row++ {
		off := y.COffset(b.Min.X, b.Min.Y+2*row)
		copy(c.compact.Cb[row*c.compact.CStride:][:cw], y.Cb[off:][:cw])
		copy(c.compact.Cr[row*c.compact.CStride:][:cw], y.Cr[off:][:cw])
	}
	return c.compact
}

func (c *driverCamera) close() error {
	driverMu.Lock()
	defer driverMu.Unlock()
	c.release()
	c.release = func() {}
	if err := c.d.Close(); err != nil {
		return fmt.Errorf("close camera: %w", err)
	}
	return nil
}

// videoFormats describes props as "1280x720@30 MJPEG", sorted, without
// duplicates.
func videoFormats(props []prop.Media) []string {
	var out []string
	for _, p := range props {
		s := fmt.Sprintf("%dx%d", p.Width, p.Height)
		if p.FrameRate > 0 {
			s += fmt.Sprintf("@%g", p.FrameRate)
		}
		out = append(out, s+" "+string(p.FrameFormat))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
