package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/evalroom/evalroom/web/auth"
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
// When the session it names exists already, the draw must fit it (same
// venues, still scheduled, no draw yet) and is linked to it.
func (s *Server) createDraw(c *gin.Context) {
	var req expertpool.DrawRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	sess, found, err := s.sessionForDraw(c.Request.Context(), req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.p.Pool.CreateDraw(c.Request.Context(), me(c).Actor(), req)
	if err != nil {
		s.writeError(c, drawRequestError(err, req))
		return
	}
	if found {
		s.linkDraw(c.Request.Context(), me(c).Actor(), sess, res.DrawID)
	}
	c.JSON(http.StatusCreated, res)
}

// getDraw returns a draw's sealed status: counts and states per venue and
// quota, and the notification progress (draws_progress.go), never a name.
func (s *Server) getDraw(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	st, err := s.p.Pool.DrawStatus(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	v, err := s.withProgress(c.Request.Context(), st)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// revealMembers discloses the names of the committee once sign-in has
// opened (403 sealed before). Staff see the members of their own venue
// only; admins see every venue, or the one named by the query parameter
// venue. Each reveal is audited.
func (s *Server) revealMembers(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	u := me(c)
	venue := c.Query("venue")
	if u.Role == auth.RoleStaff {
		if venue != "" && venue != u.VenueCode {
			s.writeError(c, errForbidden)
			return
		}
		venue = u.VenueCode
	}
	members, err := s.p.Pool.RevealMembers(c.Request.Context(), u.Actor(), id, venue)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, members, len(members))
}

// seedResponse is a revealed seed.
type seedResponse struct {
	DrawID int64    `json:"draw_id"`
	Seed   draw.Hex `json:"seed"`
}

// revealSeed discloses a draw's seed so anyone can replay the draw:
// supervisors may force it at any time; admins only after the session has
// ended (403 sealed before).
func (s *Server) revealSeed(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	u := me(c)
	seed, err := s.p.Pool.RevealSeed(c.Request.Context(), u.Actor(), id, u.Role == auth.RoleSupervisor)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seedResponse{DrawID: id, Seed: seed})
}

// verifyDraw replays a draw whose seed was revealed and reports the first
// mismatch (403 sealed before the seed is revealed).
func (s *Server) verifyDraw(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	rep, err := s.p.Pool.VerifyDraw(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// exportDraw downloads the verification record of a draw (seed,
// commitment, every round's list and choice) for `evalroomctl draw
// verify`; available once the seed was revealed.
func (s *Server) exportDraw(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	rec, err := s.p.Pool.ExportDrawRecord(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="draw-%d.json"`, id))
	c.JSON(http.StatusOK, rec)
}
