package web

import (
	"context"
	"crypto/ed25519"
	"net/http"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// Sessions is what the API needs of evaluation sessions; *room.Service
// satisfies it. Errors are the room sentinels.
type Sessions interface {
	CreateSession(ctx context.Context, actor string, in room.SessionInput) (room.Session, error)
	GetSession(ctx context.Context, id int64) (room.Session, error)
	ListSessions(ctx context.Context, f room.SessionFilter) ([]room.Session, error)
	AddRoom(ctx context.Context, actor string, sessionID int64, in room.RoomInput) (room.Room, error)
	RegisterRecorder(ctx context.Context, actor string, roomID int64, recorderID string, pub ed25519.PublicKey) (room.Room, error)
	ChangePhase(ctx context.Context, actor room.Actor, sessionID int64, ch room.PhaseChange) (room.Session, error)

	Committee(ctx context.Context, actor room.Actor, sessionID int64, venue string) ([]room.CommitteeEntry, error)
	ListSignIns(ctx context.Context, sessionID int64) ([]room.SignIn, error)
	SignIn(ctx context.Context, actor room.Actor, sessionID int64, in room.SignInInput) (room.SignIn, error)
	RecuseOnSite(ctx context.Context, actor room.Actor, sessionID, memberID int64, reason string) (room.Recusal, error)

	MediaFailed(ctx context.Context, actor room.Actor, sessionID int64, note string) (room.Fault, error)
	MediaRestored(ctx context.Context, actor room.Actor, sessionID int64) (room.Fault, error)
	Clocks(ctx context.Context, sessionID int64) ([]room.Clock, error)
	RecordingStatus(ctx context.Context, sessionID int64) (room.RecordingReport, error)

	SetScoreSheet(ctx context.Context, actor string, sessionID int64, sh room.ScoreSheet) (room.ScoreSheet, error)
	ScoreSheet(ctx context.Context, sessionID int64) (room.ScoreSheet, error)
	RecordScore(ctx context.Context, ev room.Evaluator, sessionID int64, in room.ScoreInput) (room.ScoreRecord, error)
	ListScores(ctx context.Context, sessionID int64, f room.ScoreFilter) ([]room.ScoreRecord, error)
	GetScore(ctx context.Context, id int64) (room.ScoreChain, error)
	Playback(ctx context.Context, scoreID int64, idx room.ArchiveIndex) (room.Playback, error)

	GrantDevice(ctx context.Context, recorderID, timestamp string, signature []byte) (room.DeviceGrant, error)
	RecordMediaGrant(ctx context.Context, sessionID int64, g room.MediaGrantRecord) error
}

// Role sets of the session routes.
var (
	sessionReaders = []auth.Role{auth.RoleAdmin, auth.RoleStaff, auth.RoleSupervisor, auth.RoleEvaluator}
	sessionOnlooks = []auth.Role{auth.RoleAdmin, auth.RoleStaff, auth.RoleSupervisor}
)

// sessionRoutes registers the evaluation session routes: admins create
// sessions and rooms; staff of a session's venue run sign-in, phases and
// faults; supervisors read; evaluators read their own session.
func (s *Server) sessionRoutes(in *gin.RouterGroup) {
	g := in.Group("", s.needSessions)
	g.GET("/sessions", s.requireRole(sessionReaders...), s.listSessions)
	g.POST("/sessions", s.requireRole(admin...), s.createSession)
	g.GET("/sessions/:id", s.requireRole(sessionReaders...), s.getSession)
	g.POST("/sessions/:id/rooms", s.requireRole(admin...), s.addRoom)
	g.PUT("/rooms/:id/recorder", s.requireRole(admin...), s.registerRecorder)
	g.POST("/sessions/:id/phase", s.requireRole(adminStaff...), s.changePhase)

	g.GET("/sessions/:id/committee", s.requireRole(adminStaff...), s.sessionCommittee)
	g.GET("/sessions/:id/signins", s.requireRole(sessionOnlooks...), s.listSignIns)
	g.POST("/sessions/:id/signins", s.requireRole(adminStaff...), s.signIn)
	g.POST("/sessions/:id/members/:member_id/recuse", s.requireRole(adminStaff...), s.recuseInSession)

	g.POST("/sessions/:id/faults", s.requireRole(adminStaff...), s.mediaFailed)
	g.POST("/sessions/:id/faults/restore", s.requireRole(adminStaff...), s.mediaRestored)
	g.GET("/sessions/:id/clocks", s.requireRole(sessionOnlooks...), s.faultClocks)
	g.GET("/sessions/:id/recording", s.requireRole(sessionOnlooks...), s.recordingStatus)
	g.POST("/sessions/:id/rooms/:room_id/mute", s.requireRole(adminStaff...), s.muteRoom)
	g.GET("/sessions/:id/mutes", s.requireRole(sessionOnlooks...), s.listMutes)

	g.POST("/sessions/:id/media-token", s.anyRole(), s.mediaToken)

	s.scoringRoutes(g)
}

// errNoSessions answers when the server was built without Sessions.
var errNoSessions = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "评标会话服务未启用"}

// needSessions answers 503 when no Sessions service was configured.
func (s *Server) needSessions(c *gin.Context) {
	if s.p.Sessions == nil {
		s.writeError(c, errNoSessions)
	}
}

// actorOf is the logged-in user as room sees them: staff carry their
// venue, everyone else acts for no venue.
func actorOf(u auth.User) room.Actor {
	a := room.Actor{ID: u.Actor()}
	if u.Role == auth.RoleStaff {
		a.Venue = u.VenueCode
	}
	return a
}

// mayRead reports whether u may read sess: admins and supervisors any,
// staff those of their venue, evaluators their own.
func mayRead(u auth.User, sess room.Session) bool {
	switch u.Role {
	case auth.RoleAdmin, auth.RoleSupervisor:
		return true
	case auth.RoleStaff:
		return sess.HasVenue(u.VenueCode)
	case auth.RoleEvaluator:
		return u.SessionRef != "" && u.SessionRef == sess.Ref
	}
	return false
}

// readableSession loads the session of path parameter id and checks that
// the user may read it; otherwise it writes the error and returns false.
func (s *Server) readableSession(c *gin.Context) (room.Session, bool) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return room.Session{}, false
	}
	sess, err := s.p.Sessions.GetSession(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return room.Session{}, false
	}
	if !mayRead(me(c), sess) {
		s.writeError(c, errForbidden)
		return room.Session{}, false
	}
	return sess, true
}

// listSessions lists sessions, latest first; filters: phase, venue, ref.
// Staff see their venue's sessions only, evaluators their own.
func (s *Server) listSessions(c *gin.Context) {
	u := me(c)
	f := room.SessionFilter{Phase: room.Phase(c.Query("phase")), Venue: c.Query("venue"), Ref: c.Query("ref")}
	switch u.Role {
	case auth.RoleStaff:
		if f.Venue != "" && f.Venue != u.VenueCode {
			s.writeError(c, errForbidden)
			return
		}
		f.Venue = u.VenueCode
	case auth.RoleEvaluator:
		if f.Ref != "" && f.Ref != u.SessionRef {
			s.writeError(c, errForbidden)
			return
		}
		f.Ref = u.SessionRef
	}
	list, err := s.p.Sessions.ListSessions(c.Request.Context(), f)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, len(list))
}

// createSession creates a scheduled session.
func (s *Server) createSession(c *gin.Context) {
	var req room.SessionInput
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	sess, err := s.p.Sessions.CreateSession(c.Request.Context(), me(c).Actor(), req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, sess)
}

// getSession returns a session with its rooms.
func (s *Server) getSession(c *gin.Context) {
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, sess)
}
