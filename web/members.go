package web

import (
	"net/http"

	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

type phoneAnswerRequest struct {
	// Accept is true when the expert said yes on the phone.
	Accept bool   `json:"accept"`
	Reason string `json:"reason"`
}

// recordPhoneAnswer records an answer staff took by phone; a decline
// draws a replacement.
func (s *Server) recordPhoneAnswer(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req phoneAnswerRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if !s.ownVenueMember(c, id) {
		return
	}
	res, err := s.p.Pool.RecordPhoneAnswer(c.Request.Context(), me(c).Actor(), id, req.Accept, req.Reason)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

type recuseRequest struct {
	Reason string `json:"reason"`
}

// recuseOnSite records a conflict of interest discovered on site; a
// replacement is drawn.
func (s *Server) recuseOnSite(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req recuseRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if !s.ownVenueMember(c, id) {
		return
	}
	res, err := s.p.Pool.MarkRecusedOnSite(c.Request.Context(), me(c).Actor(), id, req.Reason)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// deadLetters lists notifications given up after too many failed
// deliveries (mobile numbers masked).
func (s *Server) deadLetters(c *gin.Context) {
	list, err := s.p.Pool.DeadLetters(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, len(list))
}

// ownVenueMember lets staff act only on members of their own venue (admins
// on any); it writes the error and returns false otherwise.
func (s *Server) ownVenueMember(c *gin.Context, memberID int64) bool {
	u := me(c)
	if u.Role != auth.RoleStaff {
		return true
	}
	venue, err := s.p.Pool.MemberVenue(c.Request.Context(), memberID)
	if err != nil {
		s.writeError(c, err)
		return false
	}
	if venue != u.VenueCode {
		s.writeError(c, errForbidden)
		return false
	}
	return true
}
