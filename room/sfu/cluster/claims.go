package cluster

import (
	"context"
	"fmt"
)

// Claim makes this node the host of session if no live node holds it, and
// returns the host: this node when it was free or already ours, otherwise
// the other node (the caller redirects the client to its URL). A session
// claimed here is kept alive by the refresh loop until Release.
// Errors: ErrBadSession, ErrClosed, ErrCorrupt, or Redis's error wrapped.
func (c *Cluster) Claim(ctx context.Context, session string) (Node, error) {
	if err := checkID("session", session); err != nil {
		return Node{}, err
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return Node{}, ErrClosed
	}
	v, err := claimScript.Run(ctx, c.rdb, []string{c.hostKey(session)},
		c.self.ID, c.selfVal, c.ttl.Milliseconds()).Text()
	if err != nil {
		return Node{}, fmt.Errorf("cluster: claim session %s: %w", session, err)
	}
	holder, err := decodeNode(v)
	if err != nil {
		return Node{}, fmt.Errorf("cluster: claim session %s: %w", session, err)
	}
	if holder.ID == c.self.ID {
		c.mu.Lock()
		if !c.closed {
			c.claims[session] = struct{}{}
		}
		c.mu.Unlock()
	}
	return holder, nil
}

// Holder returns the node that hosts session, and false if none does.
// It never claims. Errors: ErrBadSession, ErrCorrupt, Redis's wrapped.
func (c *Cluster) Holder(ctx context.Context, session string) (Node, bool, error) {
	if err := checkID("session", session); err != nil {
		return Node{}, false, err
	}
	v, err := c.rdb.Get(ctx, c.hostKey(session)).Result()
	if isNil(err) {
		return Node{}, false, nil
	}
	if err != nil {
		return Node{}, false, fmt.Errorf("cluster: holder of session %s: %w", session, err)
	}
	n, err := decodeNode(v)
	if err != nil {
		return Node{}, false, fmt.Errorf("cluster: holder of session %s: %w", session, err)
	}
	return n, true, nil
}

// Release gives up this node's claim on session, so the next Claim from
// any node takes it. A claim held by another node is left alone.
// Errors: ErrBadSession, or Redis's error wrapped (the local claim is
// dropped anyway, so it expires if the delete did not happen).
func (c *Cluster) Release(ctx context.Context, session string) error {
	if err := checkID("session", session); err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.claims, session)
	c.mu.Unlock()
	if err := releaseScript.Run(ctx, c.rdb, []string{c.hostKey(session)}, c.self.ID).Err(); err != nil {
		return fmt.Errorf("cluster: release session %s: %w", session, err)
	}
	return nil
}

// ReleaseAll releases every session this node holds and clears its live
// rooms: a graceful hand-over before Close. It returns the first error.
func (c *Cluster) ReleaseAll(ctx context.Context) error {
	sessions, rooms := c.held()
	var first error
	for _, s := range sessions {
		if err := c.Release(ctx, s); err != nil && first == nil {
			first = err
		}
	}
	for _, lr := range rooms {
		if err := c.SetLive(ctx, lr.session, lr.room, false); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// liveRoom is one room this node publishes as live.
type liveRoom struct{ session, room string }

// held returns the sessions this node claims and the rooms it publishes
// as live, as they are now.
func (c *Cluster) held() (sessions []string, rooms []liveRoom) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sessions = make([]string, 0, len(c.claims))
	for s := range c.claims {
		sessions = append(sessions, s)
	}
	for s, rs := range c.live {
		for r := range rs {
			rooms = append(rooms, liveRoom{s, r})
		}
	}
	return sessions, rooms
}
