package web

import (
	"net/http"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// Role sets of the scoring routes.
var (
	evaluators   = []auth.Role{auth.RoleEvaluator}
	scoreReaders = []auth.Role{auth.RoleAdmin, auth.RoleStaff, auth.RoleSupervisor, auth.RoleEvaluator, auth.RoleArchivist}
	scoreLookers = []auth.Role{auth.RoleAdmin, auth.RoleStaff, auth.RoleSupervisor, auth.RoleArchivist}
)

// scoringRoutes registers the score sheet and scoring record routes:
// admins set a session's sheet before evaluation; evaluators score their
// own session while it is evaluating and read their own records; admins,
// supervisors and staff of the session's venues read every record;
// archivists read records and their playback positions.
func (s *Server) scoringRoutes(g *gin.RouterGroup) {
	g.GET("/sessions/:id/scoresheet", s.requireRole(sessionReaders...), s.getScoreSheet)
	g.PUT("/sessions/:id/scoresheet", s.requireRole(admin...), s.setScoreSheet)
	g.POST("/sessions/:id/scores", s.requireRole(evaluators...), s.recordScore)
	g.GET("/sessions/:id/scores", s.requireRole(sessionReaders...), s.listScores)
	g.GET("/scores/:id", s.requireRole(scoreReaders...), s.getScore)
	g.GET("/scores/:id/playback", s.requireRole(scoreLookers...), s.scorePlayback)
}

var errNoArchive = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "录像索引尚未启用"}

// mayReadScore reports whether u may read rec of sess: archivists any,
// evaluators their own, others as they may read the session.
func mayReadScore(u auth.User, sess room.Session, rec room.ScoreRecord) bool {
	switch u.Role {
	case auth.RoleArchivist:
		return true
	case auth.RoleEvaluator:
		return mayRead(u, sess) && rec.EvaluatorUserID == u.ID
	}
	return mayRead(u, sess)
}

// getScoreSheet returns a session's bidders and criteria.
func (s *Server) getScoreSheet(c *gin.Context) {
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	sh, err := s.p.Sessions.ScoreSheet(c.Request.Context(), sess.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, sh)
}

// setScoreSheet replaces a session's sheet before evaluation starts.
func (s *Server) setScoreSheet(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req room.ScoreSheet
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	sh, err := s.p.Sessions.SetScoreSheet(c.Request.Context(), me(c).Actor(), id, req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, sh)
}

// recordScore stores the signed-in evaluator's score or correction,
// stamped with the server's UTC time.
func (s *Server) recordScore(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req room.ScoreInput
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	u := me(c)
	member, err := s.scoringMember(c.Request.Context(), id, u.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	rec, err := s.p.Sessions.RecordScore(c.Request.Context(),
		room.Evaluator{UserID: u.ID, Actor: u.Actor(), SessionRef: u.SessionRef, MemberID: member}, id, req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, rec)
}

// listScores lists a session's records, each marked effective or
// corrected; evaluators see their own. effective=true leaves out
// corrected records.
func (s *Server) listScores(c *gin.Context) {
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	f := room.ScoreFilter{}
	switch c.Query("effective") {
	case "", "false":
	case "true":
		f.EffectiveOnly = true
	default:
		s.writeError(c, badRequest("查询参数 effective 只能是 true 或 false"))
		return
	}
	if u := me(c); u.Role == auth.RoleEvaluator {
		f.EvaluatorUserID = u.ID
	}
	list, err := s.p.Sessions.ListScores(c.Request.Context(), sess.ID, f)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, len(list))
}

// readableScore loads the record of path parameter id with its chain and
// checks that the user may read it; otherwise it writes the error (403
// for another evaluator's record) and returns false.
func (s *Server) readableScore(c *gin.Context) (room.ScoreChain, bool) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return room.ScoreChain{}, false
	}
	ch, err := s.p.Sessions.GetScore(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return room.ScoreChain{}, false
	}
	sess, err := s.p.Sessions.GetSession(c.Request.Context(), ch.Record.SessionID)
	if err != nil {
		s.writeError(c, err)
		return room.ScoreChain{}, false
	}
	if !mayReadScore(me(c), sess, ch.Record) {
		s.writeError(c, errForbidden)
		return room.ScoreChain{}, false
	}
	return ch, true
}

// getScore returns one record with its correction chain and the chain's
// effective record.
func (s *Server) getScore(c *gin.Context) {
	ch, ok := s.readableScore(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, ch)
}

// scorePlayback answers, for every room of the record's session, the
// archive segment and offset that cover the record's instant.
func (s *Server) scorePlayback(c *gin.Context) {
	if s.p.Archive == nil {
		s.writeError(c, errNoArchive)
		return
	}
	ch, ok := s.readableScore(c)
	if !ok {
		return
	}
	pb, err := s.p.Sessions.Playback(c.Request.Context(), ch.Record.ID, s.p.Archive)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, pb)
}
