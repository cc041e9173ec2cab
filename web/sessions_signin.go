package web

import (
	"net/http"

	"github.com/evalroom/evalroom/room"
	"github.com/gin-gonic/gin"
)

// sessionCommittee reveals the committee for sign-in with each member's
// seat: staff see their own venue, admins every venue or the one named by
// the query parameter venue. Each reveal is audited by the pool.
func (s *Server) sessionCommittee(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	list, err := s.p.Sessions.Committee(c.Request.Context(), actorOf(me(c)), id, c.Query("venue"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, len(list))
}

// listSignIns lists a session's sign-ins (the seat chart), released ones
// included.
func (s *Server) listSignIns(c *gin.Context) {
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	list, err := s.p.Sessions.ListSignIns(c.Request.Context(), sess.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, len(list))
}

// signIn seats a member after the identity check.
func (s *Server) signIn(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req room.SignInInput
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	si, err := s.p.Sessions.SignIn(c.Request.Context(), actorOf(me(c)), id, req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, si)
}

// recuseInSession records an on-site recusal: the seat is released and a
// replacement drawn.
func (s *Server) recuseInSession(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	memberID, err := pathID(c, "member_id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req recuseRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.p.Sessions.RecuseOnSite(c.Request.Context(), actorOf(me(c)), id, memberID, req.Reason)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
