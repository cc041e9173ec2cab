package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type faultRequest struct {
	Note string `json:"note"`
}

// mediaFailed records that media between the venues failed and starts
// the fault clock.
func (s *Server) mediaFailed(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req faultRequest
	if err := bindOptionalJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	f, err := s.p.Sessions.MediaFailed(c.Request.Context(), actorOf(me(c)), id, req.Note)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, f)
}

// mediaRestored closes the open fault (after a fault during evaluation
// outlived its deadline, the session is aborted instead: 409).
func (s *Server) mediaRestored(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	f, err := s.p.Sessions.MediaRestored(c.Request.Context(), actorOf(me(c)), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, f)
}

// faultClocks returns the clocks of the session's open faults.
func (s *Server) faultClocks(c *gin.Context) {
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	list, err := s.p.Sessions.Clocks(c.Request.Context(), sess.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, len(list))
}

// recordingStatus tells which rooms are recording, with warnings while
// evaluating.
func (s *Server) recordingStatus(c *gin.Context) {
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	rep, err := s.p.Sessions.RecordingStatus(c.Request.Context(), sess.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
