package clock

import (
	"fmt"
	"time"
)

// Sample is one four-timestamp exchange (RFC 5905 §8). T1 and T4 are read
// from the client's clock (with their monotonic readings, when the clock
// is time.Now), T2 and T3 from the server's.
type Sample struct {
	// T1 is when the client sent the request.
	T1 time.Time
	// T2 is when the server received it.
	T2 time.Time
	// T3 is when the server sent its answer.
	T3 time.Time
	// T4 is when the client received the answer.
	T4 time.Time
}

// Offset is θ = ((T2−T1)+(T3−T4))/2: how far the server's clock is ahead
// of the client's.
func (s Sample) Offset() time.Duration {
	return (s.T2.Sub(s.T1) + s.T3.Sub(s.T4)) / 2
}

// Delay is δ = (T4−T1)−(T3−T2): the round trip without the server's
// processing time. T4−T1 uses the monotonic clock when both readings
// carry it.
func (s Sample) Delay() time.Duration {
	return s.T4.Sub(s.T1) - s.T3.Sub(s.T2)
}

// ErrorBound is δ/2: however the delay splits between the two directions,
// the true offset lies within Offset ± ErrorBound.
func (s Sample) ErrorBound() time.Duration { return s.Delay() / 2 }

// Check returns ErrBadSample when the timestamps cannot be right.
func (s Sample) Check() error {
	switch {
	case s.T1.IsZero() || s.T2.IsZero() || s.T3.IsZero() || s.T4.IsZero():
		return fmt.Errorf("%w: a timestamp is missing", ErrBadSample)
	case s.T3.Before(s.T2):
		return fmt.Errorf("%w: server sent (t3 %s) before it received (t2 %s)", ErrBadSample, s.T3, s.T2)
	case s.T4.Before(s.T1):
		return fmt.Errorf("%w: answer (t4 %s) before request (t1 %s)", ErrBadSample, s.T4, s.T1)
	case s.Delay() < 0:
		return fmt.Errorf("%w: negative delay %s", ErrBadSample, s.Delay())
	}
	return nil
}
