// Package cluster lets several evalroomd nodes share one Redis so that each
// evaluation session's media is hosted by exactly one node, and any node
// can tell which rooms of a session have a live recorder.
//
// A Cluster is one node's view. Claim records in Redis (SET NX with a TTL)
// which node hosts a session and returns the holder: this node when the
// session was free or already ours, the other node otherwise, so the SFU
// can redirect the client there. A background loop refreshes the claims
// and the live-room entries this node holds, well inside their TTL; when a
// node dies its claims and entries expire and another node may take the
// session over. If Redis restarts empty, the loop writes the claims and
// entries again. Release and SetLive(false) delete only what is this
// node's (a Lua compare-and-delete).
//
// Expiry is decided by Redis's own clock (TTLs, and TIME inside the Lua
// scripts), so the nodes' clocks need not agree and the package reads no
// wall clock itself.
//
// Cluster satisfies room/sfu's Presence and room.MediaPresence; it does
// not import them. room/sfu's Directory returns room/sfu's Node, so cmd
// wraps Claim in a few lines:
//
//	func (d directory) Claim(ctx context.Context, s string) (sfu.Node, error) {
//		n, err := d.c.Claim(ctx, s)
//		return sfu.Node{ID: n.ID, URL: n.URL}, err
//	}
//
// It never prints: it logs through the slog.Logger it is given. Its one
// goroutine is stopped by Close.
package cluster
