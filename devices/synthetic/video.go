package synthetic

import (
	"context"
	"fmt"
	"image"
	"time"
)

// VideoParams shape a synthetic camera.
type VideoParams struct {
	// Width and Height in pixels (even numbers; default 320×180).
	Width, Height int
	// FPS is the frame rate (default 15).
	FPS int
	// Label is drawn under the time (digits, spaces, -, :, ., U, T, C).
	Label string
	// Now is the clock stamped on frames; default time.Now.
	Now func() time.Time
	// Sleep waits; default a timer that honours the context.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Frame is one captured picture and the UTC instant it shows.
type Frame struct {
	// Image is I420 (4:2:0 YCbCr).
	Image *image.YCbCr
	// At is the capture time the frame shows.
	At time.Time
	// White is true for the first frame of each whole UTC second.
	White bool
}

// Video is a synthetic camera. It is not safe for concurrent reads.
type Video struct {
	p       VideoParams
	period  time.Duration
	next    time.Time
	lastSec int64
	imgs    [2]*image.YCbCr
	flip    int
}

// NewVideo returns a camera; it validates p.
func NewVideo(p VideoParams) (*Video, error) {
	if p.Width == 0 && p.Height == 0 {
		p.Width, p.Height = 320, 180
	}
	if p.FPS == 0 {
		p.FPS = 15
	}
	switch {
	case p.Width <= 0 || p.Height <= 0 || p.Width%2 != 0 || p.Height%2 != 0 || p.Width > 7680 || p.Height > 4320:
		return nil, fmt.Errorf("%w: size %d×%d", ErrInvalid, p.Width, p.Height)
	case p.FPS < 1 || p.FPS > 120:
		return nil, fmt.Errorf("%w: %d fps", ErrInvalid, p.FPS)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	v := &Video{p: p, period: time.Second / time.Duration(p.FPS), lastSec: -1}
	for i := range v.imgs {
		v.imgs[i] = image.NewYCbCr(image.Rect(0, 0, p.Width, p.Height), image.YCbCrSubsampleRatio420)
	}
	return v, nil
}

// Read waits for the next frame time and returns the frame. The image is
// reused two reads later: copy or encode it before then.
func (v *Video) Read(ctx context.Context) (Frame, error) {
	now := v.p.Now()
	if v.next.IsZero() {
		v.next = now
	}
	if d := v.next.Sub(now); d > 0 {
		if err := v.p.Sleep(ctx, d); err != nil {
			return Frame{}, err
		}
		now = v.p.Now()
	}
	// Keep the cadence, but never queue up frames after a stall.
	v.next = v.next.Add(v.period)
	if v.next.Before(now) {
		v.next = now.Add(v.period)
	}
	at := now.UTC()
	sec := at.Unix()
	// A new second flashes; the very first frame only if it falls in the
	// first frame period of its second (else it is no second's first).
	white := sec != v.lastSec && (v.lastSec >= 0 || time.Duration(at.Nanosecond()) < v.period)
	v.lastSec = sec
	img := v.imgs[v.flip]
	v.flip ^= 1
	paint(img, at, white, v.p.Label)
	return Frame{Image: img, At: at, White: white}, nil
}

// paint draws the frame for instant at.
func paint(img *image.YCbCr, at time.Time, white bool, label string) {
	luma, chroma := uint8(32), uint8(128)
	if white {
		luma = 255
	}
	fill(img.Y, luma)
	fill(img.Cb, chroma)
	fill(img.Cr, chroma)
	if white {
		return
	}
	w := img.Bounds().Dx()
	text := at.Format("2006-01-02 15:04:05.000")
	scale := max(1, w/(len(text)*6+4))
	drawText(img, text, 2*scale, img.Bounds().Dy()/3, scale, 235)
	if label != "" {
		drawText(img, label, 2*scale, img.Bounds().Dy()/3+10*scale, scale, 180)
	}
	paintTimecode(img.Y, img.YStride, w, img.Bounds().Dy(), at)
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// Sleep waits d or until ctx ends, returning ctx's error then; it is the
// default Sleep of the synthetic devices (and of package devices).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
