package web

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// RequestObserver is told about every request the API answers (cmd
// counts them in Prometheus metrics; web stays free of the metrics
// library).
type RequestObserver interface {
	// ObserveRequest records one answered request: its method, its route
	// template (gin syntax, "/api/sessions/:id"; "(no route)" when none
	// matched), its status and how long it took.
	ObserveRequest(method, route string, status int, took time.Duration)
}

// Metrics is the monitoring side of the server.
type Metrics struct {
	// Handler serves GET /metrics (Prometheus exposition format); nil
	// makes the route answer 503.
	Handler http.Handler
	// Token, when set, is the bearer token GET /metrics requires
	// ("Authorization: Bearer <token>", Prometheus' authorization
	// setting); empty leaves /metrics open, for a listener only the
	// monitoring network reaches.
	Token string
	// Requests, when set, is told about every request.
	Requests RequestObserver
}

// observeRequests tells Params.Metrics.Requests about each request once
// it is answered (after recovery has turned a panic into a 500).
func (s *Server) observeRequests(c *gin.Context) {
	obs := s.p.Metrics.Requests
	if obs == nil {
		c.Next()
		return
	}
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	obs.ObserveRequest(c.Request.Method, route, c.Writer.Status(), time.Since(start))
}

// metricsRoutes mounts GET /metrics (503 without a handler).
func (s *Server) metricsRoutes(e *gin.Engine) {
	e.GET("/metrics", s.serveMetrics)
}

var errNoMetrics = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "监控指标未启用"}

// serveMetrics answers Prometheus' scrape, checking the bearer token
// when one is configured.
func (s *Server) serveMetrics(c *gin.Context) {
	if s.p.Metrics.Handler == nil {
		s.writeError(c, errNoMetrics)
		return
	}
	if want := s.p.Metrics.Token; want != "" {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="evalroom metrics"`)
			s.writeError(c, &requestError{status: http.StatusUnauthorized, code: "unauthenticated", message: "监控指标需要令牌（Authorization: Bearer）"})
			return
		}
	}
	s.p.Metrics.Handler.ServeHTTP(c.Writer, c.Request)
}
