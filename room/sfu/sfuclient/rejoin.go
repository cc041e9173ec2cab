package sfuclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// RejoinOptions configure a participant that stays in its session across
// node restarts (Rejoin).
type RejoinOptions struct {
	// URLs are the WebSocket URLs to join through, tried in turn on each
	// attempt: one per node, or a load balancer's single address.
	// Required.
	URLs []string
	// Token returns a media token for each join (a fresh one, since a
	// rejoin may come after the first token expired). Required.
	Token func(ctx context.Context) (string, error)
	// Options configure every Client (OnTrack, OnEvent… are set on each
	// new connection).
	Options Options
	// Publish, when set, publishes the participant's tracks on each new
	// connection, the first one included (the same TrackLocals may be
	// published again: they send to every connection they are bound to).
	Publish func(ctx context.Context, c *Client) error
	// OnJoin, when set, is called after each join and its Publish, with
	// the new client and how many joins there have been (1 for the first).
	OnJoin func(c *Client, joins int)
	// Backoff is the first wait between rejoin attempts, doubled up to
	// MaxBackoff; 100 ms and 5 s when zero.
	Backoff, MaxBackoff time.Duration
	// JoinTimeout bounds one join and its Publish; 15 s when zero.
	JoinTimeout time.Duration
}

// Rejoiner is a participant that stays in its session: when its
// connection ends without its asking (the node shuts down for a rolling
// upgrade, the network drops, the server sends "closing" or
// "unavailable"), it joins again through RejoinOptions.URLs with a fresh
// token, waiting longer between failed attempts, and publishes its
// tracks again. A refusal that a retry cannot mend (removed, forbidden,
// unauthorized…) ends it; Done then closes and Err says why. Its one
// goroutine stops in Close.
type Rejoiner struct {
	o   RejoinOptions
	log *slog.Logger

	mu    sync.Mutex
	c     *Client
	joins int
	err   error

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// errNoURL is returned by Rejoin without URLs or Token.
var errNoURL = errors.New("sfuclient: rejoin needs URLs and Token")

// Rejoin joins through the first of o.URLs that admits the participant,
// publishes (o.Publish) and keeps the participant in its session until
// Close. The first join must succeed: its error is returned.
func Rejoin(ctx context.Context, o RejoinOptions) (*Rejoiner, error) {
	if len(o.URLs) == 0 || o.Token == nil {
		return nil, errNoURL
	}
	if o.Backoff <= 0 {
		o.Backoff = 100 * time.Millisecond
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = 5 * time.Second
	}
	if o.JoinTimeout <= 0 {
		o.JoinTimeout = 15 * time.Second
	}
	log := o.Options.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &Rejoiner{o: o, log: log.With("component", "sfuclient-rejoin"), stop: make(chan struct{}), done: make(chan struct{})}
	c, err := r.join(ctx)
	if err != nil {
		return nil, err
	}
	r.set(c)
	go r.loop()
	return r, nil
}

// Client is the current connection.
func (r *Rejoiner) Client() *Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

// Joins counts the joins so far (1 after Rejoin).
func (r *Rejoiner) Joins() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.joins
}

// Done is closed when the Rejoiner has stopped: after Close, or after a
// refusal a retry cannot mend (see Err).
func (r *Rejoiner) Done() <-chan struct{} { return r.done }

// Err is why the Rejoiner stopped by itself; nil while it runs and after
// Close.
func (r *Rejoiner) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close stops rejoining and leaves the session. It is idempotent.
func (r *Rejoiner) Close() error {
	r.closeOnce.Do(func() { close(r.stop) })
	<-r.done
	if c := r.Client(); c != nil {
		return c.Leave()
	}
	return nil
}

func (r *Rejoiner) set(c *Client) {
	r.mu.Lock()
	r.c = c
	r.joins++
	n := r.joins
	r.mu.Unlock()
	if r.o.OnJoin != nil {
		r.o.OnJoin(c, n)
	}
}

// loop waits for the connection to end and joins again, until Close or
// a final refusal.
func (r *Rejoiner) loop() {
	defer close(r.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		c := r.Client()
		select {
		case <-r.stop:
			return
		case <-c.Done():
		}
		if err := c.Err(); !Retryable(err) {
			r.mu.Lock()
			r.err = err
			r.mu.Unlock()
			r.log.Warn("refused; not rejoining", "err", err)
			return
		}
		r.log.Info("connection ended; rejoining", "participant", c.ID(), "err", c.Err())
		wait := r.o.Backoff
		for {
			nc, err := r.join(ctx)
			if err == nil {
				r.set(nc)
				break
			}
			if ctx.Err() != nil {
				return
			}
			if !Retryable(err) {
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
				r.log.Warn("rejoin refused", "err", err)
				return
			}
			r.log.Debug("rejoin failed; retrying", "in", wait, "err", err)
			select {
			case <-r.stop:
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, r.o.MaxBackoff)
		}
	}
}

// join tries each URL once: a fresh token, Join, Publish. It returns the
// first refusal a retry cannot mend at once, else the last error.
func (r *Rejoiner) join(ctx context.Context) (*Client, error) {
	var last error
	for _, url := range r.o.URLs {
		c, err := r.joinAt(ctx, url)
		if err == nil {
			return c, nil
		}
		if !Retryable(err) {
			return nil, err
		}
		last = err
	}
	return nil, last
}

func (r *Rejoiner) joinAt(ctx context.Context, url string) (*Client, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.JoinTimeout)
	defer cancel()
	tok, err := r.o.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("media token: %w", err)
	}
	c, err := Join(ctx, url, tok, r.o.Options)
	if err != nil {
		return nil, err
	}
	if r.o.Publish != nil {
		if err := r.o.Publish(ctx, c); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("publish after join: %w", err)
		}
	}
	return c, nil
}

// Retryable reports whether a connection that ended with err (nil: the
// connection dropped without a word) may be joined again: a dropped
// connection, a node shutting down ("closing"), a server briefly
// unavailable, an expired token, a network error. A refusal of the
// participant itself (removed, forbidden, unauthorized, a protocol
// error) is not.
func Retryable(err error) bool {
	var se *ServerError
	if !errors.As(err, &se) {
		return true
	}
	switch se.Code {
	case "closing", "unavailable", "expired":
		return true
	}
	return se.Status >= 500
}
