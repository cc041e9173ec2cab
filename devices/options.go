package devices

import (
	"context"
	"log/slog"
	"time"

	"github.com/evalroom/evalroom/devices/synthetic"
)

// Options are what a camera or microphone takes from its owner.
type Options struct {
	// Now is the capture clock; the recorder passes its server-corrected
	// clock. Default time.Now.
	Now func() time.Time
	// SceneNow is the clock the synthetic devices show (the white flash,
	// the beep, the time drawn): the real world's time, which the
	// recorder's clock measures. Frames are stamped on Now at the instant
	// the scene shows. Default Now; real devices ignore it.
	SceneNow func() time.Time
	// Sleep waits d or until ctx ends; tests pass one that moves a fake
	// clock. Default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives device events (lost, recovered); default
	// slog.Default(). Each device adds its name and kind.
	Logger *slog.Logger
	// Retry is how often a lost device is reopened; default 2 s.
	Retry time.Duration
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SceneNow == nil {
		o.SceneNow = o.Now
	}
	if o.Sleep == nil {
		o.Sleep = synthetic.Sleep
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Retry <= 0 {
		o.Retry = 2 * time.Second
	}
	return o
}
