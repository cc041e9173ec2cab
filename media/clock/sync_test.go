package clock_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/clock"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// lossyNet is a network between a recorder whose clock is local and a
// server whose clock is skew ahead and runs fast by drift: every exchange
// advances the local clock by a random outbound delay, the server's
// processing and a random return delay, the outbound leg up to fifteen
// times longer than the return leg (or the other way round).
type lossyNet struct {
	local *testenv.Clock
	start time.Time
	skew  time.Duration
	drift float64
	rng   *rand.Rand
	mu    sync.Mutex
}

// server is the server's clock when the local clock reads local.
func (n *lossyNet) server(local time.Time) time.Time {
	el := local.Sub(n.start)
	return local.Add(n.skew + time.Duration(float64(el)*n.drift))
}

// trueOffset is how far the server is ahead of the local clock now.
func (n *lossyNet) trueOffset() time.Duration {
	now := n.local.Now()
	return n.server(now).Sub(now)
}

func (n *lossyNet) Exchange(_ context.Context, t1 time.Time) (time.Time, time.Time, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	long := time.Duration(1+n.rng.IntN(300)) * time.Millisecond
	short := time.Duration(1+n.rng.IntN(20)) * time.Millisecond
	out, back := long, short
	if n.rng.IntN(4) == 0 {
		out, back = short, long
	}
	t2 := n.server(n.local.Advance(out))
	t3 := n.server(n.local.Advance(time.Duration(n.rng.IntN(2000)) * time.Microsecond))
	n.local.Advance(back)
	return t2, t3, nil
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestSyncSkewedServer measures a server 7.3 s ahead (and running 10 ppm
// fast) through asymmetric random delays: after every burst, and while
// time passes without one, the true offset lies within the reported
// uncertainty of the estimate, and Now reads the server's clock within
// that uncertainty.
func TestSyncSkewedServer(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	local := testenv.NewClock(start)
	nw := &lossyNet{local: local, start: start, skew: 7300 * time.Millisecond, drift: 10e-6, rng: rand.New(rand.NewPCG(4, 2036))}
	s, err := clock.NewSync(nw, clock.WithClock(local.Now), clock.WithBurst(4), clock.WithWindow(8))
	require.NoError(t, err)
	defer s.Close()

	_, err = s.Estimate()
	require.True(t, errors.Is(err, clock.ErrNoEstimate))

	var worst, widest time.Duration
	for i := range 60 {
		est, err := s.Measure(context.Background())
		require.NoError(t, err)
		check := func(when string) {
			est, err := s.Estimate()
			require.NoError(t, err)
			off := abs(est.Offset - nw.trueOffset())
			require.LessOrEqual(t, off, est.Uncertainty, "burst %d %s: offset %s, true %s", i, when, est.Offset, nw.trueOffset())
			now := local.Now()
			require.LessOrEqual(t, abs(s.Now().Sub(nw.server(now))), est.Uncertainty, "burst %d %s: Now", i, when)
			worst, widest = max(worst, off), max(widest, est.Uncertainty)
		}
		check("just after")
		require.GreaterOrEqual(t, est.Uncertainty, est.Delay/2)
		local.Advance(clock.DefaultInterval)
		check("one interval later")
		if i == 30 {
			// The server is out of reach for two minutes: the old
			// estimate still holds, within its growing uncertainty.
			before, _ := s.Estimate()
			local.Advance(2 * time.Minute)
			check("two minutes without a burst")
			after, _ := s.Estimate()
			require.Greater(t, after.Uncertainty, before.Uncertainty)
		}
	}
	// The filter keeps the best sample: with delays of at least 2 ms and
	// mostly tens of milliseconds, the chosen bound stays small.
	require.Less(t, widest, 60*time.Millisecond, "uncertainty")
	t.Logf("60 bursts: worst error %s, widest uncertainty %s", worst, widest)
}

// TestSyncKeepsSmallestDelay: of a burst, the sample with the smallest
// delay is chosen.
func TestSyncKeepsSmallestDelay(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	local := testenv.NewClock(start)
	delays := []time.Duration{ms(80), ms(6), ms(40)}
	var i int
	ex := clock.ExchangerFunc(func(_ context.Context, t1 time.Time) (time.Time, time.Time, error) {
		d := delays[i%len(delays)]
		i++
		t2 := local.Advance(d / 2).Add(time.Second)
		local.Advance(d / 2)
		return t2, t2, nil
	})
	s, err := clock.NewSync(ex, clock.WithClock(local.Now), clock.WithBurst(3), clock.WithDrift(0))
	require.NoError(t, err)
	defer s.Close()
	est, err := s.Measure(context.Background())
	require.NoError(t, err)
	require.Equal(t, ms(6), est.Delay)
	require.Equal(t, time.Second, est.Offset)
	require.Equal(t, ms(3), est.Uncertainty)
	require.True(t, est.MeasuredAt.Equal(start.Add(ms(86)+time.Second)), "measured at the chosen sample, %s", est.MeasuredAt)
}

// TestSyncRefusesBadSamples: answers that cannot be right are not used.
func TestSyncRefusesBadSamples(t *testing.T) {
	local := testenv.NewClock(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))
	ex := clock.ExchangerFunc(func(_ context.Context, t1 time.Time) (time.Time, time.Time, error) {
		local.Advance(ms(10))
		return t1.Add(ms(5)), t1.Add(ms(4)), nil // sent before received
	})
	s, err := clock.NewSync(ex, clock.WithClock(local.Now))
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Measure(context.Background())
	require.True(t, errors.Is(err, clock.ErrBadSample), "%v", err)
	_, err = s.Estimate()
	require.True(t, errors.Is(err, clock.ErrNoEstimate))
	require.True(t, s.Now().Equal(local.Now()), "without an estimate Now is the local clock")
}

func TestSyncOptions(t *testing.T) {
	ex := clock.ExchangerFunc(func(context.Context, time.Time) (time.Time, time.Time, error) { return time.Time{}, time.Time{}, nil })
	_, err := clock.NewSync(nil)
	require.True(t, errors.Is(err, clock.ErrMissingParam))
	for name, opt := range map[string]clock.Option{
		"interval": clock.WithInterval(0), "burst": clock.WithBurst(0), "window": clock.WithWindow(0),
		"timeout": clock.WithTimeout(-1), "drift": clock.WithDrift(0.5),
	} {
		_, err := clock.NewSync(ex, opt)
		require.True(t, errors.Is(err, clock.ErrInvalid), name)
	}
	_, err = clock.NewSync(ex, clock.WithClock(nil))
	require.True(t, errors.Is(err, clock.ErrMissingParam))
}

// manualTicker ticks when the test says so.
type manualTicker struct {
	c       chan time.Time
	stopped atomic.Bool
}

func (m *manualTicker) C() <-chan time.Time { return m.c }
func (m *manualTicker) Stop()               { m.stopped.Store(true) }

// TestSyncGoroutine: Start measures at once and at every tick; Close stops
// the goroutine (no leak), is idempotent, and Measure then fails.
func TestSyncGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	calls := make(chan struct{}, 100)
	ex := clock.ExchangerFunc(func(_ context.Context, t1 time.Time) (time.Time, time.Time, error) {
		calls <- struct{}{}
		now := time.Now().Add(7300 * time.Millisecond)
		return now, now, nil
	})
	tk := &manualTicker{c: make(chan time.Time)}
	var interval time.Duration
	s, err := clock.NewSync(ex, clock.WithBurst(2), clock.WithTicker(func(d time.Duration) clock.Ticker { interval = d; return tk }))
	require.NoError(t, err)
	s.Start()
	s.Start()
	<-s.Ready()
	require.Equal(t, clock.DefaultInterval, interval)
	for range 2 {
		<-calls
	}
	tk.c <- time.Now()
	for range 2 {
		<-calls
	}
	est, err := s.Estimate()
	require.NoError(t, err)
	require.LessOrEqual(t, abs(est.Offset-7300*time.Millisecond), est.Uncertainty)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	require.True(t, tk.stopped.Load(), "ticker stopped")
	_, err = s.Measure(context.Background())
	require.True(t, errors.Is(err, clock.ErrClosed))
}

// TestSyncCloseEndsExchange: Close ends an exchange that hangs.
func TestSyncCloseEndsExchange(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	entered := make(chan struct{}, 1)
	ex := clock.ExchangerFunc(func(ctx context.Context, t1 time.Time) (time.Time, time.Time, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return time.Time{}, time.Time{}, ctx.Err()
	})
	s, err := clock.NewSync(ex, clock.WithTimeout(time.Hour))
	require.NoError(t, err)
	s.Start()
	<-entered
	require.NoError(t, s.Close())
	select {
	case <-s.Ready():
		t.Fatal("ready without a measurement")
	default:
	}
}
