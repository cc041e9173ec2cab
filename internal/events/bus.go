package events

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscriberBuffer is how many events a subscriber may fall behind before
// it loses some.
const subscriberBuffer = 64

// Bus publishes events to a Redis channel and delivers the channel's
// events to local subscribers. Create it with New, start it with Run.
type Bus struct {
	rdb     *redis.Client
	channel string
	log     *slog.Logger
	now     func() time.Time

	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Options configure a Bus.
type Options struct {
	// Prefix is the Redis key prefix of the deployment; the channel is
	// Prefix+"events".
	Prefix string
	// Logger gets dropped-publish warnings; nil uses slog.Default.
	Logger *slog.Logger
	// Now stamps events without a time; nil uses time.Now.
	Now func() time.Time
}

// New returns a Bus on rdb.
func New(rdb *redis.Client, o Options) *Bus {
	b := &Bus{rdb: rdb, channel: o.Prefix + "events", log: o.Logger, now: o.Now, subs: map[*Subscription]struct{}{}}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b
}

// Publish sends e to every node's subscribers. It fills in At when zero.
func (b *Bus) Publish(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = b.now().UTC()
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("events: encode: %w", err)
	}
	if err := b.rdb.Publish(ctx, b.channel, data).Err(); err != nil {
		return fmt.Errorf("events: publish %s %s: %w", e.Action, e.Object, err)
	}
	return nil
}

// Notify publishes e and only logs a failure: for callers (the audit hook)
// whose own work has succeeded and must not fail because a hint was lost.
func (b *Bus) Notify(ctx context.Context, e Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := b.Publish(ctx, e); err != nil {
		b.log.Warn("event not published", "action", e.Action, "object", e.Object, "err", err)
	}
}

// Run receives the channel's events and delivers them to subscribers
// until ctx ends; it resubscribes after a lost connection, telling
// subscribers that they may have missed events.
func (b *Bus) Run(ctx context.Context) error {
	for {
		err := b.receive(ctx)
		if ctx.Err() != nil {
			return nil
		}
		b.log.Warn("events channel lost; resubscribing", "err", err)
		b.deliver(Event{At: b.now().UTC(), Action: "events.lost", Lost: true})
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// receive runs one Redis subscription until it fails or ctx ends.
func (b *Bus) receive(ctx context.Context) error {
	ps := b.rdb.Subscribe(ctx, b.channel)
	defer ps.Close()
	// A blocked read does not watch ctx; closing the subscription ends it.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	if _, err := ps.Receive(ctx); err != nil {
		return fmt.Errorf("events: subscribe: %w", err)
	}
	for {
		msg, err := ps.ReceiveMessage(ctx)
		if err != nil {
			return fmt.Errorf("events: receive: %w", err)
		}
		var e Event
		if err := json.Unmarshal([]byte(msg.Payload), &e); err != nil {
			b.log.Warn("malformed event ignored", "err", err)
			continue
		}
		b.deliver(e)
	}
}

// deliver hands e to every subscriber without blocking.
func (b *Bus) deliver(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.offer(e)
	}
}

// Subscribe returns a subscription to every event from now on. Close it
// when done.
func (b *Bus) Subscribe() *Subscription {
	s := &Subscription{bus: b, c: make(chan Event, subscriberBuffer)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Subscription is one local subscriber's queue.
type Subscription struct {
	bus    *Bus
	c      chan Event
	lost   bool // guarded by bus.mu
	closed bool // guarded by bus.mu
}

// C delivers the events. After an overflow the next event delivered is
// a Lost notice. It is closed by Close.
func (s *Subscription) C() <-chan Event { return s.c }

// offer queues e, or marks the subscription as having lost events. It
// runs with bus.mu held.
func (s *Subscription) offer(e Event) {
	if s.lost {
		select {
		case s.c <- Event{At: e.At, Action: "events.lost", Lost: true}:
			s.lost = false
		default:
			return
		}
	}
	select {
	case s.c <- e:
	default:
		s.lost = true
	}
}

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	delete(s.bus.subs, s)
	close(s.c)
}
