package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/gin-gonic/gin"
)

// date is a calendar day in JSON: "2026-12-01" (or an RFC 3339 time, of
// which the date counts).
type date struct{ time.Time }

func (d *date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		d.Time = time.Time{}
		return nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		d.Time = t
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return badRequest("日期格式应为 YYYY-MM-DD：" + s)
	}
	d.Time = t
	return nil
}

func (s *Server) listSpecialties(c *gin.Context) {
	list, err := s.p.Pool.ListSpecialties(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, len(list))
}

// listExperts lists experts; filters: region_prefix, specialty, status,
// q (part of the name), limit, offset.
func (s *Server) listExperts(c *gin.Context) {
	limit, offset, err := page(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	f := expertpool.ExpertFilter{RegionPrefix: c.Query("region_prefix"), Specialty: c.Query("specialty"),
		Status: expertpool.ExpertStatus(c.Query("status")), Query: c.Query("q"), Limit: limit, Offset: offset}
	list, total, err := s.p.Pool.ListExperts(c.Request.Context(), f)
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, total)
}

func (s *Server) getExpert(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	x, err := s.p.Pool.GetExpert(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, x)
}

func (s *Server) createExpert(c *gin.Context) {
	var in expertpool.ExpertInput
	if err := bindJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	x, err := s.p.Pool.CreateExpert(c.Request.Context(), me(c).Actor(), in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, x)
}

type statusRequest struct {
	Status         string `json:"status"`
	SuspendedUntil date   `json:"suspended_until"`
	Reason         string `json:"reason"`
}

// setExpertStatus makes an expert active, suspended until a day, or
// blacklisted with a reason.
func (s *Server) setExpertStatus(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req statusRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	sc := expertpool.StatusChange{Status: expertpool.ExpertStatus(req.Status), SuspendedUntil: req.SuspendedUntil.Time, Reason: req.Reason}
	if err := s.p.Pool.SetExpertStatus(c.Request.Context(), me(c).Actor(), id, sc); err != nil {
		s.writeError(c, err)
		return
	}
	s.respondExpert(c, id)
}

type unavailableRequest struct {
	Days []date `json:"days"`
}

// setUnavailable replaces the days on which an expert cannot serve.
func (s *Server) setUnavailable(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req unavailableRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	days := make([]time.Time, len(req.Days))
	for i, d := range req.Days {
		days[i] = d.Time
	}
	if err := s.p.Pool.SetUnavailable(c.Request.Context(), me(c).Actor(), id, days); err != nil {
		s.writeError(c, err)
		return
	}
	s.respondExpert(c, id)
}

func (s *Server) respondExpert(c *gin.Context, id int64) {
	x, err := s.p.Pool.GetExpert(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, x)
}
