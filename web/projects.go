package web

import (
	"net/http"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/gin-gonic/gin"
)

// listProjects lists projects; filters: q (part of the name or code),
// limit, offset.
func (s *Server) listProjects(c *gin.Context) {
	limit, offset, err := page(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	list, total, err := s.p.Pool.ListProjects(c.Request.Context(), expertpool.ProjectFilter{Query: c.Query("q"), Limit: limit, Offset: offset})
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, total)
}

func (s *Server) createProject(c *gin.Context) {
	var in expertpool.ProjectInput
	if err := bindJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	p, err := s.p.Pool.CreateProject(c.Request.Context(), me(c).Actor(), in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (s *Server) getProject(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	p, err := s.p.Pool.GetProject(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}
