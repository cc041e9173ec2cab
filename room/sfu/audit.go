package sfu

import (
	"context"
	"time"
)

// auditLeave records media.leave and, for a hidden participant, one
// media.watch per room it watched (from its first track of that room to
// now). Failures are logged: the participant is gone either way.
func (p *Participant) auditLeave() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := p.srv.now().UTC()
	a := p.srv.p.Auditor
	if err := a.Audit(ctx, p.claims.Subject, "media.leave", "session:"+p.claims.Session, map[string]any{
		"participant": p.id, "role": p.claims.Role, "room": p.claims.Room,
		"duration_s": now.Sub(p.joinedAt).Seconds(), "via": p.via,
	}); err != nil {
		p.log.Error("audit leave", "err", err)
	}
	if !p.hidden() {
		return
	}
	p.mu.Lock()
	watched := p.watchFrom
	p.watchFrom = nil
	p.mu.Unlock()
	for room, from := range watched {
		object := "room:" + room
		if room == "" {
			object = "session:" + p.claims.Session
		}
		if err := a.Audit(ctx, p.claims.Subject, "media.watch", object, map[string]any{
			"participant": p.id, "session": p.claims.Session, "from": from, "to": now,
		}); err != nil {
			p.log.Error("audit watch", "room", room, "err", err)
		}
	}
}

// noteWatch remembers when a hidden participant started watching room.
func (p *Participant) noteWatch(room string) {
	if !p.hidden() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.watchFrom[room]; !ok && p.watchFrom != nil {
		p.watchFrom[room] = p.srv.now().UTC()
	}
}
