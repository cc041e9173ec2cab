package web

import (
	"context"
	"io"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/gin-gonic/gin"
)

// ExpertPool is what the API needs of the expert pool;
// *expertpool.Service satisfies it. Errors are the expertpool sentinels.
type ExpertPool interface {
	// MemberVenue returns the venue code of a drawn member (ErrNotFound).
	MemberVenue(ctx context.Context, memberID int64) (string, error)
	ListSpecialties(ctx context.Context) ([]expertpool.Specialty, error)

	ListExperts(ctx context.Context, f expertpool.ExpertFilter) ([]expertpool.Expert, int, error)
	GetExpert(ctx context.Context, id int64) (expertpool.Expert, error)
	CreateExpert(ctx context.Context, actor string, in expertpool.ExpertInput) (expertpool.Expert, error)
	SetExpertStatus(ctx context.Context, actor string, id int64, sc expertpool.StatusChange) error
	SetUnavailable(ctx context.Context, actor string, id int64, days []time.Time) error
	ImportExperts(ctx context.Context, actor string, r io.Reader) (expertpool.ImportReport, error)

	UpsertOrganisation(ctx context.Context, actor string, o expertpool.Organisation) error
	GetOrganisation(ctx context.Context, code string) (expertpool.Organisation, error)
	ListOrganisations(ctx context.Context, f expertpool.OrganisationFilter) ([]expertpool.Organisation, int, error)

	CreateProject(ctx context.Context, actor string, in expertpool.ProjectInput) (expertpool.Project, error)
	GetProject(ctx context.Context, id int64) (expertpool.Project, error)
	ListProjects(ctx context.Context, f expertpool.ProjectFilter) ([]expertpool.Project, int, error)

	CreateDraw(ctx context.Context, actor string, req expertpool.DrawRequest) (expertpool.DrawResult, error)
	DrawStatus(ctx context.Context, drawID int64) (expertpool.DrawStatus, error)
	RevealMembers(ctx context.Context, actor string, drawID int64, venueCode string) ([]expertpool.RevealedMember, error)
	RevealSeed(ctx context.Context, actor string, drawID int64, force bool) ([]byte, error)
	VerifyDraw(ctx context.Context, drawID int64) (expertpool.VerifyReport, error)
	ExportDrawRecord(ctx context.Context, drawID int64) (expertpool.DrawRecord, error)

	RecordPhoneAnswer(ctx context.Context, actor string, memberID int64, accept bool, reason string) (expertpool.AnswerResult, error)
	MarkRecusedOnSite(ctx context.Context, actor string, memberID int64, reason string) (expertpool.AnswerResult, error)
	DeadLetters(ctx context.Context) ([]expertpool.DeadLetter, error)
	LinkInfo(ctx context.Context, token string) (expertpool.LinkInfo, error)
	AnswerByLink(ctx context.Context, token string, accept bool, reason string) (expertpool.AnswerResult, error)
	GatewayCallback(ctx context.Context, a expertpool.GatewayAnswer) (expertpool.AnswerResult, error)

	// RecusalSettings, SetRecusalRules and ResetRecusalRules read and
	// change the rules new draws apply (settings_recusal.go).
	RecusalSettings(ctx context.Context) (expertpool.RecusalSettings, error)
	SetRecusalRules(ctx context.Context, actor string, r expertpool.Rules) (expertpool.RecusalSettings, error)
	ResetRecusalRules(ctx context.Context, actor string) (expertpool.RecusalSettings, error)
	// SendTestMessage sends an administrator's test message through p.
	SendTestMessage(ctx context.Context, actor string, p notify.Provider, mobile string) error
}

// CallbackHandler verifies a gateway callback once only (replays refused)
// and records its keypress; *expertpool.Notifier satisfies it. Without one
// the server checks the signature itself with notify.VerifySignature and
// Params.GatewaySecret, which refuses forged and stale callbacks but not a
// replay within the tolerance (the answer itself is recorded once either
// way).
type CallbackHandler interface {
	HandleCallback(ctx context.Context, signature string, body []byte) (expertpool.AnswerResult, error)
}

// poolRoutes registers the expert pool's routes: public ones on e,
// logged-in ones on in.
func (s *Server) poolRoutes(e *gin.Engine, in *gin.RouterGroup) {
	// Public: authorised by the signed link or the gateway's signature.
	e.GET("/confirm", s.confirmPage)
	e.POST("/confirm", s.confirmAnswer)
	e.POST("/api/gateway/callback", s.gatewayCallback)

	in.GET("/specialties", s.anyRole(), s.listSpecialties)

	in.GET("/experts", s.requireRole(admin...), s.listExperts)
	in.POST("/experts", s.requireRole(admin...), s.createExpert)
	in.POST("/experts/import", s.requireRole(admin...), s.importExperts)
	in.GET("/experts/:id", s.requireRole(admin...), s.getExpert)
	in.PUT("/experts/:id/status", s.requireRole(admin...), s.setExpertStatus)
	in.PUT("/experts/:id/unavailable", s.requireRole(admin...), s.setUnavailable)

	in.GET("/organisations", s.requireRole(adminStaff...), s.listOrganisations)
	in.GET("/organisations/:code", s.requireRole(adminStaff...), s.getOrganisation)
	in.PUT("/organisations/:code", s.requireRole(admin...), s.upsertOrganisation)

	in.GET("/projects", s.requireRole(adminStaff...), s.listProjects)
	in.POST("/projects", s.requireRole(adminStaff...), s.createProject)
	in.GET("/projects/:id", s.requireRole(adminStaff...), s.getProject)

	in.POST("/draws", s.requireRole(adminStaff...), s.createDraw)
	in.GET("/draws/:id", s.requireRole(drawWatchers...), s.getDraw)
	in.POST("/draws/:id/reveal", s.requireRole(adminStaff...), s.revealMembers)
	in.POST("/draws/:id/seed/reveal", s.requireRole(auditReaders...), s.revealSeed)
	in.GET("/draws/:id/verify", s.requireRole(auditReaders...), s.verifyDraw)
	in.GET("/draws/:id/export", s.requireRole(auditReaders...), s.exportDraw)

	in.POST("/members/:id/answer", s.requireRole(adminStaff...), s.recordPhoneAnswer)
	in.POST("/members/:id/recuse", s.requireRole(adminStaff...), s.recuseOnSite)
	in.GET("/notifications/dead", s.requireRole(adminStaff...), s.deadLetters)
}
