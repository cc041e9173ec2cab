package clock

import (
	"context"
	"time"
)

// Exchanger carries one clock exchange to the server.
type Exchanger interface {
	// Exchange sends t1, the client's time of sending, and returns the
	// server's receive (t2) and send (t3) times. It returns the
	// transport's error, or ErrBadSample for an answer that does not
	// match the request.
	Exchange(ctx context.Context, t1 time.Time) (t2, t3 time.Time, err error)
}

// ExchangerFunc adapts a function to Exchanger.
type ExchangerFunc func(ctx context.Context, t1 time.Time) (t2, t3 time.Time, err error)

// Exchange calls f.
func (f ExchangerFunc) Exchange(ctx context.Context, t1 time.Time) (time.Time, time.Time, error) {
	return f(ctx, t1)
}
