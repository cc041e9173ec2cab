package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sink is the durable store the Workers claim messages in and record
// outcomes to. It, not Redis, decides whether a message is still to send.
type Sink interface {
	// Claim leases message id for lease (no other worker can claim it
	// meanwhile) and returns it ready to send, with the number of failed
	// attempts so far. It returns ErrDone when the message was delivered
	// or is dead, ErrBusy when another worker holds it or its retry is not
	// due, a PermanentError when it can never be sent, and another error
	// when the store cannot be reached (the stream entry is then left
	// pending and claimed again later).
	Claim(ctx context.Context, id string, lease time.Duration) (Message, int, error)
	// Delivered records that the provider accepted message id.
	Delivered(ctx context.Context, id string) error
	// Failed records failed attempt number attempt with its cause, drops
	// the claim and notes that the next attempt is due at retryAt.
	Failed(ctx context.Context, id string, attempt int, cause error, retryAt time.Time) error
	// Dead records that message id is given up after attempt attempts, so
	// staff see it.
	Dead(ctx context.Context, id string, attempt int, cause error) error
}

// WorkersParams configure Workers.
type WorkersParams struct {
	// Redis and Keys name the stream, group, retry set and dead letters.
	// Required.
	Redis *redis.Client
	Keys  Keys
	// Sink is the outbox; Provider delivers. Required.
	Sink     Sink
	Provider Provider
	// Count is the number of workers; 0 means 2.
	Count int
	// Consumer prefixes the consumer names; "" means a random one.
	Consumer string
	// MaxAttempts is how many failed attempts make a message dead; 0
	// means 5.
	MaxAttempts int
	// Backoff is the wait before retry n; nil means
	// ExponentialBackoff(1s, 5m, nil).
	Backoff Backoff
	// Lease is how long a claim in the store lasts; 0 means 1 minute. It
	// must exceed the provider's timeout.
	Lease time.Duration
	// ClaimIdle is how long a stream entry may sit unacknowledged (its
	// worker crashed) before another worker takes it over; 0 means 1
	// minute.
	ClaimIdle time.Duration
	// Block is how long one read waits for new entries; 0 means 1 second.
	Block time.Duration
	// RetryPoll is how often due retries are moved back into the stream;
	// 0 means 250 ms.
	RetryPoll time.Duration
	// MaxLen caps the stream and the dead-letter stream; 0 means 100000.
	MaxLen int64
	// Now is the clock for retry times; nil means time.Now.
	Now func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// WorkerStats count what the workers did since Start.
type WorkerStats struct {
	Delivered, Retried, Dead int64
}

// Workers deliver the messages of a stream, as a consumer group.
type Workers struct {
	p      WorkersParams
	log    *slog.Logger
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool

	delivered, retried, dead atomic.Int64
}

// NewWorkers returns Workers; Start runs them.
func NewWorkers(p WorkersParams) (*Workers, error) {
	if p.Redis == nil || p.Sink == nil || p.Provider == nil || p.Keys.Stream == "" {
		return nil, fmt.Errorf("%w: workers need Redis, Keys, Sink and Provider", ErrMissingParam)
	}
	if p.Count <= 0 {
		p.Count = 2
	}
	if p.Consumer == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		p.Consumer = "w" + hex.EncodeToString(b)
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.Backoff == nil {
		p.Backoff = ExponentialBackoff(time.Second, 5*time.Minute, nil)
	}
	if p.Lease <= 0 {
		p.Lease = time.Minute
	}
	if p.ClaimIdle <= 0 {
		p.ClaimIdle = time.Minute
	}
	if p.Block <= 0 {
		p.Block = time.Second
	}
	if p.RetryPoll <= 0 {
		p.RetryPoll = 250 * time.Millisecond
	}
	if p.MaxLen <= 0 {
		p.MaxLen = 100000
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	return &Workers{p: p, log: p.Logger.With("component", "notify.workers")}, nil
}

// Start runs the workers and the retry mover until ctx ends or Close is
// called. Calling it again, or after Close, does nothing.
func (w *Workers) Start(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel != nil || w.closed {
		return
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.wg.Add(w.p.Count + 1)
	for i := range w.p.Count {
		go w.work(ctx, fmt.Sprintf("%s-%d", w.p.Consumer, i))
	}
	go w.moveRetries(ctx)
}

// Close stops the workers and waits for them. It is safe to call twice.
func (w *Workers) Close() error {
	w.mu.Lock()
	w.closed = true
	cancel := w.cancel
	w.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	w.wg.Wait()
	return nil
}

// Stats returns the counters.
func (w *Workers) Stats() WorkerStats {
	return WorkerStats{Delivered: w.delivered.Load(), Retried: w.retried.Load(), Dead: w.dead.Load()}
}

func (w *Workers) ensureGroup(ctx context.Context) error {
	err := w.p.Redis.XGroupCreateMkStream(ctx, w.p.Keys.Stream, w.p.Keys.Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group: %w", err)
	}
	return nil
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (w *Workers) work(ctx context.Context, consumer string) {
	defer w.wg.Done()
	log := w.log.With("consumer", consumer)
	var lastClaim time.Time
	for ctx.Err() == nil {
		if time.Since(lastClaim) >= w.p.ClaimIdle/2 {
			lastClaim = time.Now()
			w.takeOver(ctx, consumer, log)
		}
		res, err := w.p.Redis.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: w.p.Keys.Group, Consumer: consumer, Streams: []string{w.p.Keys.Stream, ">"},
			Count: 16, Block: w.p.Block,
		}).Result()
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, redis.Nil):
			continue
		case err != nil && strings.HasPrefix(err.Error(), "NOGROUP"):
			if err := w.ensureGroup(ctx); err != nil {
				log.Warn("cannot create consumer group", "err", err)
				pause(ctx, w.p.Block)
			}
			continue
		case err != nil:
			log.Warn("stream read failed", "err", err)
			pause(ctx, w.p.Block)
			continue
		}
		for _, s := range res {
			for _, m := range s.Messages {
				w.handle(ctx, log, m)
			}
		}
	}
}

// takeOver claims entries another consumer left unacknowledged too long.
func (w *Workers) takeOver(ctx context.Context, consumer string, log *slog.Logger) {
	start := "0-0"
	for range 10 {
		msgs, next, err := w.p.Redis.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: w.p.Keys.Stream, Group: w.p.Keys.Group, Consumer: consumer,
			MinIdle: w.p.ClaimIdle, Start: start, Count: 32,
		}).Result()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, redis.Nil) && !strings.HasPrefix(err.Error(), "NOGROUP") {
				log.Warn("autoclaim failed", "err", err)
			}
			return
		}
		for _, m := range msgs {
			w.handle(ctx, log, m)
		}
		if next == "0-0" || next == "" {
			return
		}
		start = next
	}
}

func (w *Workers) ack(ctx context.Context, log *slog.Logger, xid string) {
	if err := w.p.Redis.XAck(ctx, w.p.Keys.Stream, w.p.Keys.Group, xid).Err(); err != nil && ctx.Err() == nil {
		log.Warn("ack failed", "entry", xid, "err", err)
	}
}

// handle delivers one stream entry.
func (w *Workers) handle(ctx context.Context, log *slog.Logger, m redis.XMessage) {
	id, _ := m.Values["id"].(string)
	if id == "" {
		w.ack(ctx, log, m.ID)
		return
	}
	msg, failures, err := w.p.Sink.Claim(ctx, id, w.p.Lease)
	switch {
	case errors.Is(err, ErrDone), errors.Is(err, ErrBusy):
		w.ack(ctx, log, m.ID)
		return
	case IsPermanent(err):
		w.bury(ctx, log, id, failures+1, err)
		w.ack(ctx, log, m.ID)
		return
	case err != nil:
		if ctx.Err() == nil {
			log.Warn("claim failed; left pending", "id", id, "err", err)
		}
		return
	}
	err = w.p.Provider.Send(ctx, msg)
	if err == nil {
		if err := w.p.Sink.Delivered(ctx, id); err != nil {
			// The claim lapses and the message is sent again with the same
			// Idempotency-Key, which the gateway deduplicates.
			log.Warn("delivered but not recorded", "id", id, "err", err)
		}
		w.delivered.Add(1)
		w.ack(ctx, log, m.ID)
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the claim lapses, the entry stays pending
	}
	attempt := failures + 1
	if IsPermanent(err) || attempt >= w.p.MaxAttempts {
		w.bury(ctx, log, id, attempt, err)
		w.ack(ctx, log, m.ID)
		return
	}
	retryAt := w.p.Now().Add(w.p.Backoff(attempt))
	if err := w.p.Sink.Failed(ctx, id, attempt, err, retryAt); err != nil {
		log.Warn("cannot record failure; left pending", "id", id, "err", err)
		return
	}
	if err := w.p.Redis.ZAdd(ctx, w.p.Keys.Retry, redis.Z{Score: float64(retryAt.UnixMilli()), Member: id}).Err(); err != nil {
		// The Relay brings it back after its redeliver timeout.
		log.Warn("cannot schedule retry", "id", id, "err", err)
	}
	w.retried.Add(1)
	log.Info("delivery failed; will retry", "id", id, "attempt", attempt, "at", retryAt, "err", err)
	w.ack(ctx, log, m.ID)
}

// bury dead-letters message id.
func (w *Workers) bury(ctx context.Context, log *slog.Logger, id string, attempt int, cause error) {
	if err := w.p.Redis.XAdd(ctx, &redis.XAddArgs{Stream: w.p.Keys.Dead, MaxLen: w.p.MaxLen, Approx: true,
		Values: []any{"id", id, "attempts", attempt, "error", cause.Error()}}).Err(); err != nil {
		log.Warn("cannot add dead letter to stream", "id", id, "err", err)
	}
	if err := w.p.Sink.Dead(ctx, id, attempt, cause); err != nil {
		log.Error("cannot record dead letter", "id", id, "err", err)
		return
	}
	w.dead.Add(1)
	log.Warn("message dead-lettered", "id", id, "attempts", attempt, "err", cause)
}

// moveRetryScript moves due ids from the retry set back into the stream,
// atomically per id.
var moveRetryScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'id', id)
end
return #ids`)

func (w *Workers) moveRetries(ctx context.Context) {
	defer w.wg.Done()
	for {
		pause(ctx, w.p.RetryPoll)
		if ctx.Err() != nil {
			return
		}
		err := moveRetryScript.Run(ctx, w.p.Redis, []string{w.p.Keys.Retry, w.p.Keys.Stream},
			w.p.Now().UnixMilli(), 200, w.p.MaxLen).Err()
		if err != nil && ctx.Err() == nil {
			w.log.Warn("moving due retries failed", "err", err)
		}
	}
}
