package notify

import (
	"math/rand/v2"
	"time"
)

// Backoff returns how long to wait before retry number attempt (1 after
// the first failure).
type Backoff func(attempt int) time.Duration

// ExponentialBackoff doubles base per attempt up to max and applies "equal
// jitter": the wait is uniformly random between half the step and the full
// step, so retries of many messages spread out. rnd returns a float in
// [0,1); nil means math/rand/v2.
func ExponentialBackoff(base, max time.Duration, rnd func() float64) Backoff {
	if rnd == nil {
		rnd = rand.Float64
	}
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		if d > max {
			d = max
		}
		return d/2 + time.Duration(rnd()*float64(d/2))
	}
}
