package expertpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/redis/go-redis/v9"
)

// NotifierParams configure the notification pipeline of a Service.
type NotifierParams struct {
	// Redis carries the stream. Required.
	Redis *redis.Client
	// Prefix begins every Redis key the pipeline uses (e.g. "evalroom:").
	Prefix string
	// Provider delivers the messages (notify.WebhookProvider,
	// notify.LogProvider). Required.
	Provider notify.Provider
	// Workers is the number of delivery workers; 0 means 2.
	Workers int
	// LinkBaseURL is the confirmation page's address (e.g.
	// "https://evalroom.example/confirm"); "" sends no links.
	LinkBaseURL string
	// MaxAttempts before a message is dead-lettered; 0 means 5.
	MaxAttempts int
	// Backoff between attempts; nil means exponential from 1 s to 5 min
	// with jitter.
	Backoff notify.Backoff
	// Lease of a claimed message (0: 1 min), RedeliverAfter for messages
	// lost from Redis (0: 2 min), ClaimIdle for stream entries of a
	// crashed worker (0: 1 min), PollInterval of the relay (0: 500 ms),
	// Block of a stream read (0: 1 s), RetryPoll (0: 250 ms).
	Lease, RedeliverAfter, ClaimIdle, PollInterval, Block, RetryPoll time.Duration
	// DeadlineInterval is how often deadlines are expired; 0 means 15 s,
	// negative means the notifier does not run deadlines.
	DeadlineInterval time.Duration
	// CallbackSecret verifies the gateway's callbacks; CallbackTolerance
	// is the allowed clock difference (0: 5 min).
	CallbackSecret    string
	CallbackTolerance time.Duration
	// Progress hears of delivery changes the audit log does not record
	// (progress.go); nil means nobody.
	Progress ProgressSink
	// Now is the pipeline's clock; nil means the Service's.
	Now func() time.Time
	// Logger; nil means the Service's.
	Logger *slog.Logger
}

// Notifier is a running notification pipeline: relay, workers and the
// deadline runner.
type Notifier struct {
	relay     *notify.Relay
	workers   *notify.Workers
	deadlines *DeadlineRunner
	verifier  *notify.CallbackVerifier
	svc       *Service
	once      sync.Once
}

// StartNotifier starts the relay, the workers and (unless disabled) the
// deadline runner; they stop when ctx ends or Close is called. It fails
// with ErrMissingParam without Redis or Provider.
func (s *Service) StartNotifier(ctx context.Context, p NotifierParams) (*Notifier, error) {
	if p.Redis == nil || p.Provider == nil {
		return nil, fmt.Errorf("%w: notifier needs Redis and Provider", ErrMissingParam)
	}
	if p.Now == nil {
		p.Now = s.now
	}
	if p.Logger == nil {
		p.Logger = s.log
	}
	keys := notify.KeysFor(p.Prefix)
	store := &outboxStore{s: s, now: p.Now, linkBase: p.LinkBaseURL, progress: p.Progress}
	relay, err := notify.NewRelay(notify.RelayParams{Redis: p.Redis, Keys: keys, Source: store,
		Interval: p.PollInterval, RedeliverAfter: p.RedeliverAfter, Logger: p.Logger})
	if err != nil {
		return nil, err
	}
	workers, err := notify.NewWorkers(notify.WorkersParams{Redis: p.Redis, Keys: keys, Sink: store, Provider: p.Provider,
		Count: p.Workers, MaxAttempts: p.MaxAttempts, Backoff: p.Backoff, Lease: p.Lease, ClaimIdle: p.ClaimIdle,
		Block: p.Block, RetryPoll: p.RetryPoll, Now: p.Now, Logger: p.Logger})
	if err != nil {
		return nil, err
	}
	n := &Notifier{relay: relay, workers: workers, svc: s}
	if p.CallbackSecret != "" {
		n.verifier = &notify.CallbackVerifier{Secret: p.CallbackSecret, Redis: p.Redis, Prefix: p.Prefix,
			Tolerance: p.CallbackTolerance, Now: p.Now}
	}
	if p.DeadlineInterval >= 0 {
		n.deadlines = s.NewDeadlineRunner(p.DeadlineInterval)
		n.deadlines.Start(ctx)
	}
	workers.Start(ctx)
	relay.Start(ctx)
	return n, nil
}

// Close stops the pipeline and waits for its goroutines. It is safe to
// call twice.
func (n *Notifier) Close() error {
	n.once.Do(func() {
		n.relay.Close()
		n.workers.Close()
		if n.deadlines != nil {
			n.deadlines.Close()
		}
	})
	return nil
}

// Wake makes the relay look for new messages now instead of at its next
// poll.
func (n *Notifier) Wake() { n.relay.Wake() }

// Stats returns what the workers did since they started.
func (n *Notifier) Stats() notify.WorkerStats { return n.workers.Stats() }

// HandleCallback verifies a gateway callback (the X-Evalroom-Signature
// header over the raw body, once only) and records its keypress, a JSON
// GatewayAnswer. It fails with ErrBadSignature for a forged, expired or
// replayed callback (or when no callback secret is configured), ErrInvalid
// for a body that is not a GatewayAnswer, and otherwise as
// Service.GatewayCallback.
func (n *Notifier) HandleCallback(ctx context.Context, signature string, body []byte) (AnswerResult, error) {
	if n.verifier == nil {
		return AnswerResult{}, fmt.Errorf("%w: callbacks are not configured", ErrBadSignature)
	}
	if err := n.verifier.Verify(ctx, signature, body); err != nil {
		if errors.Is(err, notify.ErrBadSignature) {
			return AnswerResult{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return AnswerResult{}, err
	}
	var a GatewayAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return AnswerResult{}, fmt.Errorf("%w: 回调内容不是有效的JSON", ErrInvalid)
	}
	res, err := n.svc.GatewayCallback(ctx, a)
	if err == nil {
		n.relay.Wake()
	}
	return res, err
}
