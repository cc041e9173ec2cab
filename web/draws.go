package web

import (
	"errors"
	"net/http"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/gin-gonic/gin"
)

// funnelOf returns the funnel of an unfilled-quota error: per quota, how
// many experts each rule excluded.
func funnelOf(err error) any {
	var fe *expertpool.FunnelError
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// createDraw draws the committee of an evaluation session. An unfilled
// quota answers 409 with the funnel in error.funnel; nothing is booked.
func (s *Server) createDraw(c *gin.Context) {
	var req expertpool.DrawRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.p.Pool.CreateDraw(c.Request.Context(), me(c).Actor(), req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, res)
}
