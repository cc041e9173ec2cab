package web

import (
	"github.com/evalroom/evalroom/web/auth"
)

// Role sets used by the routes.
var (
	admin        = []auth.Role{auth.RoleAdmin}
	auditReaders = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor}
	adminStaff   = []auth.Role{auth.RoleAdmin, auth.RoleStaff}
	drawWatchers = []auth.Role{auth.RoleAdmin, auth.RoleStaff, auth.RoleSupervisor}
)

// routes registers every route. Each route behind authenticate names its
// roles; only the public routes listed first go without.
func (s *Server) routes() {
	e := s.engine
	// Public.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	api := e.Group("/api", s.csrf)
	api.GET("/openapi.yaml", s.openapi)
	api.POST("/login", s.login)
	api.GET("/demo/messages", s.demoMessages)
	api.GET("/archive/server-key", s.serverKey)

	// Logged in.
	in := api.Group("", s.authenticate)
	in.POST("/logout", s.anyRole(), s.logout)
	in.GET("/me", s.anyRole(), s.getMe)
	in.GET("/events", s.anyRole(), s.eventStream)
	in.POST("/me/password", s.anyRole(), s.changeMyPassword)

	in.GET("/users", s.requireRole(admin...), s.listUsers)
	in.POST("/users", s.requireRole(admin...), s.createUser)
	in.GET("/users/:id", s.requireRole(admin...), s.getUser)
	in.PATCH("/users/:id", s.requireRole(admin...), s.updateUser)
	in.POST("/users/:id/password", s.requireRole(admin...), s.resetPassword)

	in.GET("/audit", s.requireRole(auditReaders...), s.listAudit)
	in.GET("/audit/verify", s.requireRole(auditReaders...), s.verifyAudit)

	s.poolRoutes(e, in)
	s.settingsRoutes(in)
	s.drawProgressRoutes(in)
	s.sessionRoutes(in)
	s.evalCodeRoutes(api, in)
	in.GET("/sessions/:id/archive/export", s.requireRole(archiveKeepers...), s.exportEvidence)
	in.POST("/sessions/:id/archive/verify", s.requireRole(archiveKeepers...), s.verifyEvidence)
	s.holdRoutes(in)
	in.GET("/archive/segments/:hash", s.requireRole(archiveViewers...), s.playSegment)
	s.archiveCatalogRoutes(in)

	// Public: authorised by the recorder's signature, and the SFU by its
	// media tokens.
	e.POST("/api/devices/token", s.deviceToken)
	// Public, no CSRF header: the edge recorders' clock exchange.
	e.POST("/api/clock", s.clockExchange)
	s.mediaRoutes(e)
	s.archiveRoutes(e)
	s.recorderRoutes(e, in)
	s.metricsRoutes(e)
}
