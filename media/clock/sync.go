package clock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Estimate is the measured offset of the server's clock from the local
// clock.
type Estimate struct {
	// Offset is how far the server's clock is ahead of the local clock
	// (server = local + Offset), from the chosen sample.
	Offset time.Duration `json:"offset_ns"`
	// Uncertainty bounds the error of the corrected clock now: half the
	// chosen sample's round-trip delay plus the drift allowance for the
	// time since it was taken.
	Uncertainty time.Duration `json:"uncertainty_ns"`
	// Delay is the chosen sample's round-trip delay.
	Delay time.Duration `json:"delay_ns"`
	// MeasuredAt is when the chosen sample was taken, in corrected UTC.
	MeasuredAt time.Time `json:"measured_at"`
}

// Sync keeps the local clock's offset to the server: it runs a burst of
// exchanges every interval, keeps the best sample of each of the last
// window bursts and chooses among them the one with the smallest error
// bound now. Its methods are safe for concurrent use.
type Sync struct {
	ex        Exchanger
	interval  time.Duration
	burst     int
	window    int
	timeout   time.Duration
	drift     float64
	now       func() time.Time
	newTicker func(time.Duration) Ticker
	log       *slog.Logger

	mu      sync.Mutex
	samples []Sample // best of each burst, oldest first

	ready     chan struct{}
	readyOnce sync.Once

	ctx       context.Context // canceled by Close; ends exchanges under way
	cancel    context.CancelFunc
	startOnce sync.Once
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// NewSync returns a Sync that exchanges through ex. It does not measure
// until Start or Measure is called. Errors: ErrMissingParam, ErrInvalid
// (from the options).
func NewSync(ex Exchanger, opts ...Option) (*Sync, error) {
	if ex == nil {
		return nil, fmt.Errorf("%w: exchanger", ErrMissingParam)
	}
	s := &Sync{ex: ex, interval: DefaultInterval, burst: DefaultBurst, window: DefaultWindow, timeout: DefaultTimeout,
		drift: DefaultDrift, now: time.Now, newTicker: NewTicker, log: slog.Default(), ready: make(chan struct{})}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.log = s.log.With("component", "clock")
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Start starts the goroutine that measures at once and then every
// interval, until Close. Failed bursts are logged and the previous
// estimate stays (its uncertainty growing with the drift allowance).
// Calling Start again, or after Close, does nothing.
func (s *Sync) Start() {
	s.startOnce.Do(func() {
		if s.ctx.Err() != nil {
			return
		}
		t := s.newTicker(s.interval)
		s.wg.Add(1)
		go s.loop(t)
	})
}

func (s *Sync) loop(t Ticker) {
	defer s.wg.Done()
	defer t.Stop()
	for {
		if _, err := s.Measure(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Warn("clock exchange failed", "err", err)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C():
		}
	}
}

// Close stops the goroutine and ends any exchange under way. It is
// idempotent and returns nil.
func (s *Sync) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

// Ready is closed once the first offset has been measured.
func (s *Sync) Ready() <-chan struct{} { return s.ready }

// Measure runs one burst now, adds its best sample to the window and
// returns the resulting estimate. Errors: ErrClosed, ctx's error, or the
// last exchange's error when every exchange of the burst failed.
func (s *Sync) Measure(ctx context.Context) (Estimate, error) {
	if s.ctx.Err() != nil {
		return Estimate{}, ErrClosed
	}
	var best *Sample
	var errs []error
	for range s.burst {
		sm, err := s.exchange(ctx)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil || s.ctx.Err() != nil {
				break
			}
			continue
		}
		if best == nil || sm.Delay() < best.Delay() {
			best = &sm
		}
	}
	if best == nil {
		if s.ctx.Err() != nil {
			return Estimate{}, ErrClosed
		}
		return Estimate{}, fmt.Errorf("clock burst: %w", errors.Join(errs...))
	}
	s.mu.Lock()
	s.samples = append(s.samples, *best)
	if len(s.samples) > s.window {
		s.samples = append(s.samples[:0], s.samples[len(s.samples)-s.window:]...)
	}
	s.mu.Unlock()
	s.readyOnce.Do(func() { close(s.ready) })
	return s.Estimate()
}

// exchange runs one exchange with the timeout, bounded by both ctx and
// Close.
func (s *Sync) exchange(ctx context.Context) (Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	t1 := s.now()
	t2, t3, err := s.ex.Exchange(ctx, t1)
	t4 := s.now()
	if err != nil {
		return Sample{}, err
	}
	sm := Sample{T1: t1, T2: t2, T3: t3, T4: t4}
	if err := sm.Check(); err != nil {
		return Sample{}, err
	}
	return sm, nil
}

// choose returns the kept sample with the smallest error bound at now and
// that bound. It must be called with mu held.
func (s *Sync) choose(now time.Time) (Sample, time.Duration, bool) {
	var best Sample
	var bound time.Duration
	for i, sm := range s.samples {
		b := sm.ErrorBound() + s.allowance(now.Sub(sm.T4))
		if i == 0 || b <= bound {
			best, bound = sm, b
		}
	}
	return best, bound, len(s.samples) > 0
}

// allowance is the drift allowance for age.
func (s *Sync) allowance(age time.Duration) time.Duration {
	if age < 0 {
		age = 0
	}
	return time.Duration(float64(age) * s.drift)
}

// Estimate returns the current estimate. Errors: ErrNoEstimate before the
// first successful burst.
func (s *Sync) Estimate() (Estimate, error) {
	now := s.now()
	s.mu.Lock()
	sm, bound, ok := s.choose(now)
	s.mu.Unlock()
	if !ok {
		return Estimate{}, ErrNoEstimate
	}
	return Estimate{Offset: sm.Offset(), Uncertainty: bound, Delay: sm.Delay(),
		MeasuredAt: sm.T4.Round(0).Add(sm.Offset()).UTC()}, nil
}

// Now returns the server's time as the local clock estimates it, in UTC:
// the chosen sample's corrected receive time advanced by the local
// monotonic clock since. Before the first measurement it returns the
// local clock. A new sample being chosen can move Now by the difference
// of the two offsets, which lies within their uncertainties.
func (s *Sync) Now() time.Time {
	now := s.now()
	s.mu.Lock()
	sm, _, ok := s.choose(now)
	s.mu.Unlock()
	if !ok {
		return now.Round(0).UTC()
	}
	return sm.T4.Round(0).Add(sm.Offset()).Add(now.Sub(sm.T4)).UTC()
}
