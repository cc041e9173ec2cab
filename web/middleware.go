package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// recovery turns a panic in a handler into a 500 with the generic message
// and logs the stack.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(c.Request.Context(), "panic in handler", "route", c.FullPath(),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				c.AbortWithStatusJSON(http.StatusInternalServerError, apiError{Error: errorBody{Code: "internal", Message: "服务器内部错误"}})
			} else {
				c.Abort()
			}
		}
	}()
	c.Next()
}

// requestLog logs one line per request: never the query string (it may
// hold a confirmation token) and never the body.
func (s *Server) requestLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	level := slog.LevelInfo
	switch {
	case c.Writer.Status() >= 500:
		level = slog.LevelError
	case c.Writer.Status() >= 400:
		level = slog.LevelWarn
	case route == "/healthz" || route == "/readyz":
		level = slog.LevelDebug
	}
	attrs := []any{"method", c.Request.Method, "route", route, "status", c.Writer.Status(),
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "ip", c.ClientIP()}
	if u, ok := userOf(c); ok {
		attrs = append(attrs, "user", u.ID)
	}
	s.log.Log(c.Request.Context(), level, "http request", attrs...)
}

// csrfHeader must accompany every unsafe cookie-authenticated request.
const csrfHeader = "X-Requested-With"

// csrf refuses unsafe requests without the X-Requested-With header (see
// the package documentation).
func (s *Server) csrf(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return
	}
	if strings.TrimSpace(c.GetHeader(csrfHeader)) == "" {
		s.writeError(c, &requestError{status: http.StatusForbidden, code: "csrf",
			message: "请求缺少 X-Requested-With 头（防跨站请求伪造）"})
	}
}
