package live

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Run publishes until ctx ends: it asks Endpoint for an endpoint,
// connects by WHIP, sends the written frames and Sender Reports, and when
// the attempt fails or the connection is lost (ICE or DTLS failed,
// disconnected for more than 5 s, the WHIP request refused) it waits a
// backoff and starts over with a fresh Endpoint call. On the way out it
// deletes the WHIP resource, closes the connection, waits for its
// goroutines and returns ctx.Err(). Errors: ErrRunning when already
// running; otherwise only ctx.Err() (failed attempts are reported
// through Status and the log).
func (p *Publisher) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer p.running.Store(false)
	failures := 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			p.mu.Lock()
			p.reconnects++
			p.mu.Unlock()
		}
		up, err := p.attempt(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.setError(err)
		p.p.OnFailure(err)
		if up {
			failures = 0
		}
		wait := p.backoff(failures)
		failures++
		p.log.Warn("live: connection failed", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.p.After(wait):
		}
	}
}

// attempt runs one connection from the Endpoint call to its loss; it
// reports whether the connection was ever up.
func (p *Publisher) attempt(ctx context.Context) (bool, error) {
	ep, err := p.p.Endpoint(ctx)
	if err != nil {
		return false, fmt.Errorf("endpoint: %w", err)
	}
	c, err := p.dial(ctx, ep)
	if err != nil {
		return false, err
	}
	defer c.close(ctx)
	return c.run(ctx)
}

// backoff returns the wait after n consecutive failures: BackoffMin
// doubled n times, at most BackoffMax, jittered down by up to half.
func (p *Publisher) backoff(n int) time.Duration {
	d := p.p.BackoffMin
	for range n {
		if d >= p.p.BackoffMax/2 {
			d = p.p.BackoffMax
			break
		}
		d *= 2
	}
	return d - rand.N(d/2+1)
}
