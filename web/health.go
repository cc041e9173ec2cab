package web

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"
)

// healthz says the process is alive.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz pings every dependency and answers 503 if one does not answer.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	names := make([]string, 0, len(s.p.Checks))
	for n := range s.p.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	checks := map[string]string{}
	status := http.StatusOK
	for _, n := range names {
		if err := s.p.Checks[n].Ping(ctx); err != nil {
			s.log.WarnContext(ctx, "readiness check failed", "check", n, "err", err)
			checks[n] = "unavailable"
			status = http.StatusServiceUnavailable
			continue
		}
		checks[n] = "ok"
	}
	word := "ok"
	if status != http.StatusOK {
		word = "unavailable"
	}
	c.JSON(status, gin.H{"status": word, "checks": checks})
}
