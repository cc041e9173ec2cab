package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Node is one evalroomd node: its stable id and its public HTTP base URL
// (for example http://10.0.0.5:8080), where clients are redirected.
type Node struct {
	// ID names the node; it must be unique in the cluster and stable
	// across restarts, so a restarted node finds its own claims.
	ID string `json:"id"`
	// URL is the node's public HTTP base URL.
	URL string `json:"url"`
}

// DefaultTTL is how long a claim or a live-room entry survives without
// being refreshed.
const DefaultTTL = 15 * time.Second

// Params configures a Cluster.
type Params struct {
	// Redis is the shared server (required).
	Redis redis.UniversalClient
	// Prefix begins every key written, e.g. "evalroom:".
	Prefix string
	// Self is this node (ID and URL required).
	Self Node
	// TTL of claims and live-room entries; 0 means DefaultTTL.
	TTL time.Duration
	// Refresh is the refresh loop's period; 0 means TTL/3.
	Refresh time.Duration
	// OnLost, if set, is called from the refresh loop when a session this
	// node claimed is found held by another node (after a Redis outage
	// long enough for the claim to expire). The SFU should move its
	// participants there.
	OnLost func(session string, holder Node)
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Cluster is one node's handle on the shared directory of session hosts
// and live rooms. It is safe for concurrent use.
type Cluster struct {
	rdb     redis.UniversalClient
	prefix  string
	self    Node
	selfVal string
	ttl     time.Duration
	onLost  func(string, Node)
	log     *slog.Logger

	mu      sync.Mutex
	closed  bool
	claims  map[string]struct{}            // sessions this node holds
	live    map[string]map[string]struct{} // session → rooms this node reports live
	failing bool                           // last refresh failed (log once per outage)

	stop   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Cluster and starts its refresh loop; Close stops it.
func New(p Params) (*Cluster, error) {
	if p.Redis == nil || p.Self.ID == "" || p.Self.URL == "" {
		return nil, fmt.Errorf("%w: cluster needs Redis, Self.ID and Self.URL", ErrMissingParam)
	}
	if strings.ContainsAny(p.Self.ID, " \t\r\n") {
		return nil, fmt.Errorf("%w: node id %q", ErrMissingParam, p.Self.ID)
	}
	if p.TTL == 0 {
		p.TTL = DefaultTTL
	}
	if p.Refresh == 0 {
		p.Refresh = p.TTL / 3
	}
	if p.TTL < time.Millisecond || p.Refresh <= 0 || p.Refresh >= p.TTL {
		return nil, fmt.Errorf("%w: ttl %v, refresh %v (need 0 < refresh < ttl)", ErrMissingParam, p.TTL, p.Refresh)
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	val, err := json.Marshal(p.Self)
	if err != nil {
		return nil, fmt.Errorf("cluster: encode node: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cluster{
		rdb: p.Redis, prefix: p.Prefix, self: p.Self, selfVal: string(val),
		ttl: p.TTL, onLost: p.OnLost,
		log:    p.Logger.With("node", p.Self.ID),
		claims: map[string]struct{}{},
		live:   map[string]map[string]struct{}{},
		stop:   make(chan struct{}),
		cancel: cancel,
	}
	c.wg.Add(1)
	go c.loop(ctx, p.Refresh)
	return c, nil
}

// Self returns this node.
func (c *Cluster) Self() Node { return c.self }

// Close stops the refresh loop. It does not delete this node's claims:
// they expire after the TTL, as if the node had died; call ReleaseAll
// first for a graceful hand-over. Close is idempotent.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.stop)
	c.cancel()
	c.wg.Wait()
	return nil
}

func (c *Cluster) loop(ctx context.Context, every time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		err := c.Refresh(ctx)
		c.mu.Lock()
		wasFailing := c.failing
		c.failing = err != nil
		c.mu.Unlock()
		switch {
		case err != nil && !wasFailing && ctx.Err() == nil:
			c.log.Warn("cluster refresh failed; retrying every period", "err", err)
		case err == nil && wasFailing:
			c.log.Info("cluster refresh recovered")
		}
	}
}

func (c *Cluster) hostKey(session string) string { return c.prefix + "sfu:host:" + session }
func (c *Cluster) liveKey(session string) string { return c.prefix + "sfu:live:" + session }
func (c *Cluster) ownerKey(session string) string {
	return c.prefix + "sfu:liveowner:" + session
}

// checkID rejects ids that are empty or would make ambiguous keys.
func checkID(kind, id string) error {
	if id == "" || len(id) > 128 || strings.ContainsAny(id, ": \t\r\n") {
		return fmt.Errorf("%w: %s %q", ErrBadSession, kind, id)
	}
	return nil
}

func decodeNode(v string) (Node, error) {
	var n Node
	if err := json.Unmarshal([]byte(v), &n); err != nil || n.ID == "" {
		return Node{}, fmt.Errorf("%w: %q", ErrCorrupt, v)
	}
	return n, nil
}
