package clock

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults of Sync.
const (
	// DefaultInterval is the time between bursts.
	DefaultInterval = 5 * time.Second
	// DefaultBurst is the number of exchanges per burst.
	DefaultBurst = 4
	// DefaultWindow is the number of bursts whose best sample is kept.
	DefaultWindow = 8
	// DefaultTimeout bounds one exchange.
	DefaultTimeout = 2 * time.Second
	// DefaultDrift is the drift allowance of the local clock: 15 ppm,
	// NTP's PHI (RFC 5905 §7.2), a bound on a quartz clock's frequency
	// error.
	DefaultDrift = 15e-6
)

// Ticker delivers the ticks that start bursts; *time.Ticker wrapped by
// NewTicker satisfies it, and tests pass their own.
type Ticker interface {
	// C is the channel of ticks.
	C() <-chan time.Time
	// Stop stops the ticks.
	Stop()
}

type timeTicker struct{ t *time.Ticker }

func (t timeTicker) C() <-chan time.Time { return t.t.C }
func (t timeTicker) Stop()               { t.t.Stop() }

// NewTicker returns a Ticker on time.NewTicker.
func NewTicker(d time.Duration) Ticker { return timeTicker{time.NewTicker(d)} }

// Option configures a Sync.
type Option func(*Sync) error

// WithInterval sets the time between bursts (default 5 s).
func WithInterval(d time.Duration) Option {
	return func(s *Sync) error {
		if d <= 0 {
			return fmt.Errorf("%w: interval %s", ErrInvalid, d)
		}
		s.interval = d
		return nil
	}
}

// WithBurst sets the number of exchanges per burst, 1 to 64 (default 4).
func WithBurst(n int) Option {
	return func(s *Sync) error {
		if n < 1 || n > 64 {
			return fmt.Errorf("%w: burst %d", ErrInvalid, n)
		}
		s.burst = n
		return nil
	}
}

// WithWindow sets how many bursts' best samples the clock filter keeps,
// 1 to 1024 (default 8).
func WithWindow(n int) Option {
	return func(s *Sync) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("%w: window %d", ErrInvalid, n)
		}
		s.window = n
		return nil
	}
}

// WithTimeout bounds one exchange (default 2 s).
func WithTimeout(d time.Duration) Option {
	return func(s *Sync) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %s", ErrInvalid, d)
		}
		s.timeout = d
		return nil
	}
}

// WithDrift sets the drift allowance of the local clock, as a rate (1e-6
// is 1 ppm); 0 to 1e-3 (default 15 ppm).
func WithDrift(rate float64) Option {
	return func(s *Sync) error {
		if rate < 0 || rate > 1e-3 {
			return fmt.Errorf("%w: drift %g", ErrInvalid, rate)
		}
		s.drift = rate
		return nil
	}
}

// WithClock sets the local clock (default time.Now). Readings should carry
// a monotonic reading, as time.Now's do.
func WithClock(now func() time.Time) Option {
	return func(s *Sync) error {
		if now == nil {
			return fmt.Errorf("%w: clock", ErrMissingParam)
		}
		s.now = now
		return nil
	}
}

// WithTicker sets how the interval's ticker is made (default NewTicker).
func WithTicker(newTicker func(time.Duration) Ticker) Option {
	return func(s *Sync) error {
		if newTicker == nil {
			return fmt.Errorf("%w: ticker", ErrMissingParam)
		}
		s.newTicker = newTicker
		return nil
	}
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(s *Sync) error {
		if l == nil {
			return fmt.Errorf("%w: logger", ErrMissingParam)
		}
		s.log = l
		return nil
	}
}
