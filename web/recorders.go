package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/token"
	"github.com/gin-gonic/gin"
)

// Recorders keeps the edge recorders' status reports;
// *room.RecorderMonitor satisfies it. Errors are the room sentinels.
type Recorders interface {
	// Report checks and stores a recorder's report. Errors:
	// room.ErrInvalid, room.ErrConflict.
	Report(ctx context.Context, id room.RecorderIdentity, r room.RecorderReport) (room.RecorderStatus, error)
	// SessionRecorders shows the recorder of each room of sess.
	SessionRecorders(ctx context.Context, sess room.Session) ([]room.RecorderView, error)
}

var errNoRecorders = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "录像设备状态服务未启用"}

// recorderRoutes registers the recorders' status report (authorised by
// device token, so public and without the CSRF header) and the session's
// recorder list for the control panel.
func (s *Server) recorderRoutes(e *gin.Engine, in *gin.RouterGroup) {
	e.POST("/api/devices/status", s.reportRecorderStatus)
	in.GET("/sessions/:id/recorders", s.requireRole(sessionOnlooks...), s.needSessions, s.sessionRecorders)
}

// deviceOf verifies the request's "Authorization: Bearer <device
// token>" and returns whom it names; an upload-only token (no session)
// is accepted.
func (s *Server) deviceOf(c *gin.Context) (room.RecorderIdentity, error) {
	tok, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return room.RecorderIdentity{}, &requestError{status: http.StatusUnauthorized, code: "unauthenticated", message: "缺少设备令牌"}
	}
	claims, err := s.p.Tokens.Verify(strings.TrimSpace(tok))
	switch {
	case errors.Is(err, token.ErrExpired):
		return room.RecorderIdentity{}, &requestError{status: http.StatusUnauthorized, code: "token_expired", message: "设备令牌已过期，请重新获取"}
	case err != nil:
		return room.RecorderIdentity{}, &requestError{status: http.StatusUnauthorized, code: "unauthenticated", message: "设备令牌无效"}
	}
	recorder, ok := strings.CutPrefix(claims.Subject, "device:")
	if claims.Role != token.RoleDevice || !ok || recorder == "" || claims.Room == "" {
		return room.RecorderIdentity{}, forbidden("只有录像设备可以报告录像状态")
	}
	return room.RecorderIdentity{RecorderID: recorder, RoomID: claims.Room, SessionID: claims.Session}, nil
}

// reportRecorderStatus stores an edge recorder's status report (every
// 5 s). Unknown fields are ignored, so that recorders and servers may be
// upgraded at different times; wrong values are refused with 422 and
// nothing is stored.
func (s *Server) reportRecorderStatus(c *gin.Context) {
	if s.p.Recorders == nil {
		s.writeError(c, errNoRecorders)
		return
	}
	if s.p.Tokens == nil {
		s.writeError(c, errNoTokens)
		return
	}
	id, err := s.deviceOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var r room.RecorderReport
	if err := bindLenientJSON(c, &r); err != nil {
		s.writeError(c, err)
		return
	}
	st, err := s.p.Recorders.Report(c.Request.Context(), id, r)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"reported_at": st.ReportedAt})
}

// bindLenientJSON is bindJSON without the refusal of unknown fields.
func bindLenientJSON(c *gin.Context, v any) error {
	if ct := c.ContentType(); ct != "" && ct != "application/json" {
		return badRequest("请求体必须是 JSON（Content-Type: application/json）")
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("请求体 JSON 之后还有多余内容")
	}
	return nil
}

// sessionRecorders lists the recorder of each room of the session that
// has one registered, with its latest report (stale when none is fresh).
func (s *Server) sessionRecorders(c *gin.Context) {
	if s.p.Recorders == nil {
		s.writeError(c, errNoRecorders)
		return
	}
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	list, err := s.p.Recorders.SessionRecorders(c.Request.Context(), sess)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": list})
}
