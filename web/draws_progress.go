package web

import (
	"context"
	"net/http"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/gin-gonic/gin"
)

// DrawProgressReader is what the draw page needs beyond ExpertPool: the
// list of draws and each one's notification progress, without names.
// *expertpool.Service satisfies it; a Params.Pool that does not leaves
// GET /api/draws answering 503 and the status without progress.
type DrawProgressReader interface {
	// DrawProgress counts a draw's invitations per quota (ErrNotFound).
	DrawProgress(ctx context.Context, drawID int64) (expertpool.DrawProgress, error)
	// ListDraws lists recent draws, newest first.
	ListDraws(ctx context.Context, withFailed bool) ([]expertpool.DrawSummary, error)
}

var errNoDrawProgress = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "抽取进度服务未启用"}

// drawView is a draw's sealed status with its notification progress.
type drawView struct {
	expertpool.DrawStatus
	Progress *expertpool.DrawProgress `json:"progress,omitempty"`
}

// progressReader returns the pool as a DrawProgressReader, if it is one.
func (s *Server) progressReader() (DrawProgressReader, bool) {
	r, ok := s.p.Pool.(DrawProgressReader)
	return r, ok
}

// withProgress adds draw st's notification progress when the pool reports it.
func (s *Server) withProgress(ctx context.Context, st expertpool.DrawStatus) (drawView, error) {
	v := drawView{DrawStatus: st}
	r, ok := s.progressReader()
	if !ok {
		return v, nil
	}
	p, err := r.DrawProgress(ctx, st.DrawID)
	if err != nil {
		return v, err
	}
	v.Progress = &p
	return v, nil
}

// listDraws lists recent draws (query failed=1 adds failed and aborted
// attempts); no names.
func (s *Server) listDraws(c *gin.Context) {
	r, ok := s.progressReader()
	if !ok {
		s.writeError(c, errNoDrawProgress)
		return
	}
	list, err := r.ListDraws(c.Request.Context(), c.Query("failed") == "1")
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, list, len(list))
}

// drawProgressRoutes registers the draw list.
func (s *Server) drawProgressRoutes(in *gin.RouterGroup) {
	in.GET("/draws", s.requireRole(drawWatchers...), s.listDraws)
}
