package sfu

import (
	"context"
	"errors"

	"github.com/evalroom/evalroom/room/token"
)

// ownRoomOnDisplay reports whether p is a room display and t comes from
// its own room: a display shows the other venues, never its own cameras
// (and never plays its own microphones back into the room).
func (p *Participant) ownRoomOnDisplay(t *pubTrack) bool {
	return p.claims.Role == token.RoleDisplay && p.claims.Room != "" && t.owner.claims.Room == p.claims.Room
}

// handleRemove is the "remove" control message: a participant with the
// admin grant takes another one out of the session. Staff reach only the
// participants of their own venue; hidden participants cannot be named
// (nobody is told their ids) and so cannot be removed. A refusal is a
// recoverable error to the sender; the removal is audited.
func (p *Participant) handleRemove(ctx context.Context, target string) error {
	refuse := func(text string) error {
		p.send(Message{Type: TypeError, Code: "forbidden", Text: text, Recoverable: true})
		return nil
	}
	if !p.claims.Grants.Admin {
		return refuse("您没有管理音视频参与者的权限")
	}
	q := p.sess.participant(target)
	switch {
	case q == nil || q.hidden():
		return refuse("该参与者不在本场评标中")
	case q == p:
		return refuse("不能移出自己")
	case p.claims.Role != token.RoleAdmin && q.claims.Venue != p.claims.Venue:
		return refuse("只能移出本场地的参与者")
	}
	if err := p.srv.p.Auditor.Audit(ctx, p.claims.Subject, "media.remove", "session:"+p.claims.Session, map[string]any{
		"participant": q.id, "subject": q.claims.Subject, "room": q.claims.Room, "venue": q.claims.Venue,
	}); err != nil {
		return errors.Join(ErrAudit, err)
	}
	p.srv.goOwned(func() { q.fail("removed", "您已被工作人员移出本场评标音视频", nil) })
	return nil
}
