package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Refresh renews, in one pipeline, every claim and live room this node
// holds, writing again any that Redis lost (a restart). Claims found held
// by another node are dropped and reported to OnLost. The refresh loop
// calls it every period; tests may call it directly. It returns the first
// Redis error.
func (c *Cluster) Refresh(ctx context.Context) error {
	sessions, rooms := c.held()
	if len(sessions) == 0 && len(rooms) == 0 {
		return nil
	}
	// Load the scripts first so the pipeline's EVALSHAs find them after a
	// Redis restart.
	for _, s := range []*redis.Script{claimScript, setLiveScript} {
		if err := s.Load(ctx, c.rdb).Err(); err != nil {
			return fmt.Errorf("cluster: refresh: load script: %w", err)
		}
	}
	pipe := c.rdb.Pipeline()
	claimCmds := make([]*redis.Cmd, len(sessions))
	for i, s := range sessions {
		claimCmds[i] = claimScript.EvalSha(ctx, pipe, []string{c.hostKey(s)},
			c.self.ID, c.selfVal, c.ttl.Milliseconds())
	}
	for _, lr := range rooms {
		setLiveScript.EvalSha(ctx, pipe, []string{c.liveKey(lr.session), c.ownerKey(lr.session)},
			lr.room, c.ttl.Milliseconds(), c.self.ID)
	}
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("cluster: refresh %d claims, %d live rooms: %w", len(sessions), len(rooms), err)
	}
	for _, lr := range rooms {
		c.mu.Lock()
		_, still := c.live[lr.session][lr.room]
		c.mu.Unlock()
		if !still { // set not live while this refresh wrote it again
			_ = clearLiveScript.Run(ctx, c.rdb, []string{c.liveKey(lr.session), c.ownerKey(lr.session)},
				lr.room, c.self.ID).Err()
		}
	}
	for i, cmd := range claimCmds {
		v, err := cmd.Text()
		if err != nil {
			continue
		}
		holder, err := decodeNode(v)
		if err != nil {
			continue
		}
		if holder.ID == c.self.ID {
			c.mu.Lock()
			_, still := c.claims[sessions[i]]
			c.mu.Unlock()
			if !still { // released while this refresh wrote it again
				_ = releaseScript.Run(ctx, c.rdb, []string{c.hostKey(sessions[i])}, c.self.ID).Err()
			}
			continue
		}
		c.mu.Lock()
		_, still := c.claims[sessions[i]]
		delete(c.claims, sessions[i])
		c.mu.Unlock()
		if !still {
			continue // released meanwhile
		}
		c.log.Warn("session claimed by another node", "session", sessions[i], "holder", holder.ID)
		if c.onLost != nil {
			c.onLost(sessions[i], holder)
		}
	}
	return nil
}
