package web

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/token"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// Pinger is something /readyz checks: a database pool, a Redis client
// (wrap it with PingerFunc).
type Pinger interface {
	// Ping returns nil when the dependency answers.
	Ping(ctx context.Context) error
}

// PingerFunc adapts a function to Pinger, e.g.
// web.PingerFunc(func(ctx context.Context) error { return rdb.Ping(ctx).Err() }).
type PingerFunc func(ctx context.Context) error

// Ping calls f.
func (f PingerFunc) Ping(ctx context.Context) error { return f(ctx) }

// AuditLog is the part of the audit log the API reads; *audit.Log
// satisfies it.
type AuditLog interface {
	// List returns entries matching f in seq order.
	List(ctx context.Context, f audit.Filter) ([]audit.Entry, error)
	// Verify walks the chain and reports the first broken link.
	Verify(ctx context.Context) (audit.Report, error)
}

// Params are what a Server needs. Fields marked required make New fail
// with ErrMissingParam when unset.
type Params struct {
	// Auth keeps users and sessions. Required.
	Auth *auth.Store
	// Audit is read by the audit API. Required.
	Audit AuditLog
	// Pool is the expert pool (*expertpool.Service). Required.
	Pool ExpertPool
	// GatewaySecret is the HMAC secret shared with the voice/SMS gateway;
	// callbacks signed otherwise are refused with 401. Empty refuses every
	// callback.
	GatewaySecret string
	// Callbacks verifies (once only) and records gateway callbacks
	// (*expertpool.Notifier); nil means the server verifies them itself
	// with GatewaySecret.
	Callbacks CallbackHandler
	// Sessions keeps evaluation sessions (*room.Service); nil makes the
	// session routes answer 503.
	Sessions Sessions
	// ArchiveUpload is the archive's recorder-facing handler (segments,
	// manifests, chain head), mounted at /archive/ with the prefix
	// stripped and authenticated by device token. Nil answers 503.
	ArchiveUpload http.Handler
	// Archive locates archive segments for scoring records' playback;
	// nil makes GET /api/scores/{id}/playback answer 503.
	Archive room.ArchiveIndex
	// Evidence exports and verifies sessions' archived evidence; nil
	// makes /api/sessions/{id}/archive/... answer 503.
	Evidence Evidence
	// ExportKey is the public half of the server's evidence export
	// signing key, published at GET /api/archive/server-key; nil makes
	// that route answer 503.
	ExportKey ed25519.PublicKey
	// Holds places and releases legal holds on sessions' recordings;
	// nil makes /api/sessions/{id}/archive/holds answer 503.
	Holds Holds
	// ArchiveCatalog answers the archive search and sessions' archive
	// timelines; nil makes them answer 503.
	ArchiveCatalog ArchiveCatalog
	// DemoInbox is the demo's phone (GET /api/demo/messages); nil outside
	// the demo.
	DemoInbox DemoInbox
	// Events delivers live change hints to the panels (GET /api/events);
	// nil makes that route answer 503.
	Events EventBus
	// Tokens mints media tokens; nil makes the token routes answer 503.
	Tokens *token.Authority
	// Media is the SFU's HTTP handler, mounted at /media/ (prefix
	// stripped): /media/ws, /media/whip, /media/whep. Nil answers 503.
	Media http.Handler
	// Mutes mutes rooms' audio toward the other venues (*sfu.Server);
	// nil makes the mute routes answer 503.
	Mutes RoomMuter
	// Notify describes the notification provider for the administration
	// page (GET /api/settings/notify) and sends its test messages.
	Notify NotifySettings
	// ICEServers are the STUN/TURN servers handed out with media tokens.
	ICEServers []ICEServer
	// Checks are pinged by /readyz, by name (e.g. "postgres", "redis").
	Checks map[string]Pinger
	// Recorders keeps the edge recorders' status reports; nil makes
	// POST /api/devices/status and GET /api/sessions/{id}/recorders
	// answer 503.
	Recorders Recorders
	// Metrics serves /metrics and counts requests (see Metrics).
	Metrics Metrics
	// SecureCookies marks the session cookie Secure (set behind HTTPS).
	SecureCookies bool
	// TrustedProxies are the addresses (or CIDRs) of reverse proxies whose
	// X-Forwarded-For is believed; nil trusts none.
	TrustedProxies []string
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ErrMissingParam is returned by New when a required parameter is unset.
var ErrMissingParam = errors.New("web: missing required parameter")

// Server is the HTTP API.
type Server struct {
	p      Params
	engine *gin.Engine
	log    *slog.Logger
	now    func() time.Time

	confirmTmpl *template.Template
	clockLimit  *ipLimiter
}

// Route is one registered method and path (gin syntax, ":id").
type Route struct {
	Method string
	Path   string
}

// New builds the server and registers every route.
func New(p Params) (*Server, error) {
	switch {
	case p.Auth == nil:
		return nil, fmt.Errorf("%w: Auth", ErrMissingParam)
	case p.Audit == nil:
		return nil, fmt.Errorf("%w: Audit", ErrMissingParam)
	case p.Pool == nil:
		return nil, fmt.Errorf("%w: Pool", ErrMissingParam)
	}
	s := &Server{p: p, log: p.Logger, now: p.Now, clockLimit: newIPLimiter(clockRate, clockRate)}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "web")
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.confirmTmpl, err = parseConfirmTemplate(); err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(p.TrustedProxies); err != nil {
		return nil, fmt.Errorf("web: trusted proxies: %w", err)
	}
	e.Use(s.observeRequests, s.recovery, s.requestLog)
	e.NoRoute(func(c *gin.Context) {
		if s.serveUI(c) {
			return
		}
		c.AbortWithStatusJSON(http.StatusNotFound, apiError{Error: errorBody{Code: "not_found", Message: "未找到该地址"}})
	})
	e.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, apiError{Error: errorBody{Code: "method_not_allowed", Message: "不支持该请求方法"}})
	})
	s.engine = e
	s.routes()
	return s, nil
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists every registered route.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.engine.Routes() {
		out = append(out, Route{Method: r.Method, Path: r.Path})
	}
	return out
}
