package web

import (
	"net/http"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/gin-gonic/gin"
)

// listAudit lists audit entries; filters: object, object_prefix, action,
// actor, after_seq, limit (at most 1000).
func (s *Server) listAudit(c *gin.Context) {
	after, err := queryInt(c, "after_seq")
	if err != nil {
		s.writeError(c, err)
		return
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		s.writeError(c, err)
		return
	}
	if limit > 1000 {
		limit = 1000
	}
	f := audit.Filter{Object: c.Query("object"), ObjectPrefix: c.Query("object_prefix"), Action: c.Query("action"),
		Actor: c.Query("actor"), AfterSeq: after, Limit: int(limit)}
	entries, err := s.p.Audit.List(c.Request.Context(), f)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries})
}

// verifyAudit walks the hash chain and reports the first broken link.
func (s *Server) verifyAudit(c *gin.Context) {
	rep, err := s.p.Audit.Verify(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
