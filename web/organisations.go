package web

import (
	"net/http"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/gin-gonic/gin"
)

// listOrganisations lists organisations; filters: q (part of the name or
// start of the code), limit, offset.
func (s *Server) listOrganisations(c *gin.Context) {
	limit, offset, err := page(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	list, total, err := s.p.Pool.ListOrganisations(c.Request.Context(), expertpool.OrganisationFilter{Query: c.Query("q"), Limit: limit, Offset: offset})
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, total)
}

func (s *Server) getOrganisation(c *gin.Context) {
	o, err := s.p.Pool.GetOrganisation(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

type organisationRequest struct {
	Name       string `json:"name"`
	ParentCode string `json:"parent_code"`
	Principal  string `json:"principal"`
}

// upsertOrganisation creates the organisation named by the path's code or
// replaces its name, parent and principal.
func (s *Server) upsertOrganisation(c *gin.Context) {
	var req organisationRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	o := expertpool.Organisation{Code: c.Param("code"), Name: req.Name, ParentCode: req.ParentCode, Principal: req.Principal}
	if err := s.p.Pool.UpsertOrganisation(c.Request.Context(), me(c).Actor(), o); err != nil {
		s.writeError(c, err)
		return
	}
	s.getOrganisation(c)
}
