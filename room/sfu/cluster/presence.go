package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"
)

// SetLive reports whether room of session has a live recorder on this
// node. A live room stays listed while this node refreshes it and for one
// TTL after it stops (node death); SetLive(false) removes it at once,
// unless another node reported it live since.
// Errors: ErrBadSession, ErrClosed (for live=true), Redis's wrapped.
func (c *Cluster) SetLive(ctx context.Context, session, room string, live bool) error {
	if err := checkID("session", session); err != nil {
		return err
	}
	if err := checkID("room", room); err != nil {
		return err
	}
	keys := []string{c.liveKey(session), c.ownerKey(session)}
	c.mu.Lock()
	if live && c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if live {
		if c.live[session] == nil {
			c.live[session] = map[string]struct{}{}
		}
		c.live[session][room] = struct{}{}
	} else if rs := c.live[session]; rs != nil {
		delete(rs, room)
		if len(rs) == 0 {
			delete(c.live, session)
		}
	}
	c.mu.Unlock()
	var err error
	if live {
		err = setLiveScript.Run(ctx, c.rdb, keys, room, c.ttl.Milliseconds(), c.self.ID).Err()
	} else {
		err = clearLiveScript.Run(ctx, c.rdb, keys, room, c.self.ID).Err()
	}
	if err != nil {
		return fmt.Errorf("cluster: set room %s/%s live=%v: %w", session, room, live, err)
	}
	return nil
}

// LiveRooms returns, sorted, the rooms of session that some node reports
// live. Errors: ErrBadSession, Redis's wrapped.
func (c *Cluster) LiveRooms(ctx context.Context, session string) ([]string, error) {
	if err := checkID("session", session); err != nil {
		return nil, err
	}
	rooms, err := liveRoomsScript.Run(ctx, c.rdb, []string{c.liveKey(session)}).StringSlice()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: live rooms of session %s: %w", session, err)
	}
	sort.Strings(rooms)
	return rooms, nil
}

func isNil(err error) bool { return errors.Is(err, redis.Nil) }
