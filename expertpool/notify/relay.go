package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Source is the durable store the Relay reads.
type Source interface {
	// FetchPending returns up to limit ids of messages neither delivered
	// nor dead that were never relayed, or were last relayed (or due for
	// retry) more than redeliverAfter ago, so a message lost with Redis's
	// data is relayed again.
	FetchPending(ctx context.Context, limit int, redeliverAfter time.Duration) ([]string, error)
	// MarkRelayed records that ids are in the stream now.
	MarkRelayed(ctx context.Context, ids []string) error
}

// RelayParams configure a Relay.
type RelayParams struct {
	// Redis and Keys name the stream. Required.
	Redis *redis.Client
	Keys  Keys
	// Source is the outbox. Required.
	Source Source
	// Batch is how many ids one pass moves at most; 0 means 500.
	Batch int
	// Interval is the pause between passes that found nothing; 0 means
	// 500 ms.
	Interval time.Duration
	// RedeliverAfter: see Source.FetchPending; 0 means 2 minutes.
	RedeliverAfter time.Duration
	// MaxLen caps the stream (approximately); 0 means 100000.
	MaxLen int64
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Relay moves pending message ids from a Source into the stream.
type Relay struct {
	p      RelayParams
	log    *slog.Logger
	wake   chan struct{}
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// NewRelay returns a Relay; Start runs it.
func NewRelay(p RelayParams) (*Relay, error) {
	if p.Redis == nil || p.Source == nil || p.Keys.Stream == "" {
		return nil, fmt.Errorf("%w: relay needs Redis, Keys and Source", ErrMissingParam)
	}
	if p.Batch <= 0 {
		p.Batch = 500
	}
	if p.Interval <= 0 {
		p.Interval = 500 * time.Millisecond
	}
	if p.RedeliverAfter <= 0 {
		p.RedeliverAfter = 2 * time.Minute
	}
	if p.MaxLen <= 0 {
		p.MaxLen = 100000
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	return &Relay{p: p, log: p.Logger.With("component", "notify.relay"), wake: make(chan struct{}, 1)}, nil
}

// Start runs the relay loop until ctx ends or Close is called. Calling it
// again, or after Close, does nothing.
func (r *Relay) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil || r.closed {
		return
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.wg.Add(1)
	go r.loop(ctx)
}

// Wake asks the relay to run a pass now (after new messages were written).
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Close stops the relay and waits for it. It is safe to call twice.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.wg.Wait()
	return nil
}

func (r *Relay) loop(ctx context.Context) {
	defer r.wg.Done()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.wake:
		}
		n, err := r.RelayOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("relay pass failed", "err", err)
		}
		wait := r.p.Interval
		if n == r.p.Batch && err == nil {
			wait = 0 // more may be waiting
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// RelayOnce moves one batch and returns how many ids it moved.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	ids, err := r.p.Source.FetchPending(ctx, r.p.Batch, r.p.RedeliverAfter)
	if err != nil {
		return 0, fmt.Errorf("relay: fetch: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	pipe := r.p.Redis.Pipeline()
	for _, id := range ids {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: r.p.Keys.Stream, MaxLen: r.p.MaxLen, Approx: true, Values: []any{"id", id}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("relay: xadd: %w", err)
	}
	if err := r.p.Source.MarkRelayed(ctx, ids); err != nil {
		return 0, fmt.Errorf("relay: mark relayed: %w", err)
	}
	return len(ids), nil
}
