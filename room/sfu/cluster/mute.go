package cluster

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// MuteTTL is how long a session's mute state is kept after its last
// change: far longer than any evaluation session.
const MuteTTL = 7 * 24 * time.Hour

// SetMuted records whether room's audio in session is muted toward the
// other rooms, for every node (room/sfu's MuteStore). The state is one
// Redis set per session, kept for MuteTTL after its last change; it is
// not rewritten by the refresh loop, so a Redis that restarts empty
// forgets it (the audit log keeps every change).
// Errors: ErrBadSession, Redis's wrapped.
func (c *Cluster) SetMuted(ctx context.Context, session, room string, muted bool) error {
	if err := checkID("session", session); err != nil {
		return err
	}
	if err := checkID("room", room); err != nil {
		return err
	}
	key := c.muteKey(session)
	pipe := c.rdb.TxPipeline()
	if muted {
		pipe.SAdd(ctx, key, room)
	} else {
		pipe.SRem(ctx, key, room)
	}
	pipe.Expire(ctx, key, MuteTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("cluster: set room %s/%s muted=%v: %w", session, room, muted, err)
	}
	return nil
}

// Muted returns, sorted, the rooms of session whose audio is muted
// toward the other rooms. Errors: ErrBadSession, Redis's wrapped.
func (c *Cluster) Muted(ctx context.Context, session string) ([]string, error) {
	if err := checkID("session", session); err != nil {
		return nil, err
	}
	rooms, err := c.rdb.SMembers(ctx, c.muteKey(session)).Result()
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("cluster: muted rooms of session %s: %w", session, err)
	}
	sort.Strings(rooms)
	return rooms, nil
}

func (c *Cluster) muteKey(session string) string { return c.prefix + "sfu:mute:" + session }
