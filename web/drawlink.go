package web

import (
	"context"
	"fmt"
	"slices"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/evalroom/evalroom/room"
)

// DrawLinker links a draw to the session it staffs (*room.Service).
type DrawLinker interface {
	LinkDraw(ctx context.Context, actor string, sessionID, drawID int64) (room.Session, error)
}

// sessionForDraw finds the evaluation session a draw request is for (its
// session_ref), if one exists already, and checks that the draw can
// staff it: the session is still scheduled, has no draw, and has the
// same main and remote venues. found is false when no such session
// exists (the session is then created later with the draw's id).
func (s *Server) sessionForDraw(ctx context.Context, req expertpool.DrawRequest) (sess room.Session, found bool, err error) {
	if s.p.Sessions == nil || req.SessionRef == "" {
		return room.Session{}, false, nil
	}
	if _, ok := s.p.Sessions.(DrawLinker); !ok {
		return room.Session{}, false, nil
	}
	list, err := s.p.Sessions.ListSessions(ctx, room.SessionFilter{Ref: req.SessionRef})
	if err != nil || len(list) == 0 {
		return room.Session{}, false, err
	}
	sess = list[0]
	bad := func(msg string) error {
		return errtext.Field(fmt.Errorf("%w: %s", expertpool.ErrInvalid, msg), "session_ref")
	}
	switch {
	case sess.DrawID != 0:
		return sess, true, bad(fmt.Sprintf("评标会话 %s 已有抽取（编号 %d），不能再次抽取", sess.Ref, sess.DrawID))
	case sess.Phase != room.PhaseScheduled:
		return sess, true, bad(fmt.Sprintf("评标会话 %s 已%s，不能再抽取", sess.Ref, sess.Phase.Label()))
	}
	var main string
	var remote []string
	for _, v := range req.Venues {
		if v.Main {
			main = v.Code
		} else {
			remote = append(remote, v.Code)
		}
	}
	want := slices.Clone(sess.RemoteVenues)
	slices.Sort(want)
	slices.Sort(remote)
	if main != sess.MainVenue || !slices.Equal(want, remote) {
		return sess, true, errtext.Field(fmt.Errorf("%w: 抽取的场地须与评标会话 %s 一致：主场 %s，副场 %v", expertpool.ErrInvalid,
			sess.Ref, sess.MainVenue, sess.RemoteVenues), "venues")
	}
	return sess, true, nil
}

// linkDraw makes drawID staff sess; a failure is logged, not returned:
// the draw stands, and an administrator can link it.
func (s *Server) linkDraw(ctx context.Context, actor string, sess room.Session, drawID int64) {
	if _, err := s.p.Sessions.(DrawLinker).LinkDraw(ctx, actor, sess.ID, drawID); err != nil {
		s.log.ErrorContext(ctx, "draw not linked to its session", "draw", drawID, "session", sess.ID, "err", err)
	}
}
