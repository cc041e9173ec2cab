package web

import (
	"net/http"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/gin-gonic/gin"
)

// settingsRoutes registers the administration settings: the recusal rules
// new draws apply, and the notification provider (read-only, with a test
// message).
func (s *Server) settingsRoutes(in *gin.RouterGroup) {
	in.GET("/settings/recusal", s.requireRole(drawWatchers...), s.getRecusalSettings)
	in.PUT("/settings/recusal", s.requireRole(admin...), s.putRecusalSettings)
	in.DELETE("/settings/recusal", s.requireRole(admin...), s.resetRecusalSettings)
	in.GET("/settings/notify", s.requireRole(admin...), s.getNotifySettings)
	in.POST("/settings/notify/test", s.requireRole(admin...), s.sendTestMessage)
}

// getRecusalSettings returns the rules new draws apply, where they come
// from (configuration file or an administrator) and the configured ones.
func (s *Server) getRecusalSettings(c *gin.Context) {
	set, err := s.p.Pool.RecusalSettings(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, set)
}

// putRecusalSettings sets the rules of every draw made from now on. The
// body is the whole rule set; a field left out counts as zero (false),
// so clients send every field.
func (s *Server) putRecusalSettings(c *gin.Context) {
	var r expertpool.Rules
	if err := bindJSON(c, &r); err != nil {
		s.writeError(c, err)
		return
	}
	set, err := s.p.Pool.SetRecusalRules(c.Request.Context(), me(c).Actor(), r)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, set)
}

// resetRecusalSettings goes back to the configuration file's rules.
func (s *Server) resetRecusalSettings(c *gin.Context) {
	set, err := s.p.Pool.ResetRecusalRules(c.Request.Context(), me(c).Actor())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, set)
}
