package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// EvaluatorCodes is what the evaluator's way in needs of the sessions:
// one-time codes and seats. *room.Service satisfies it; Params.Sessions
// provides it when it implements it too (the routes answer 503
// otherwise). Errors are the room sentinels and room.ErrCodeInvalid.
type EvaluatorCodes interface {
	// ReissueEvaluatorCode gives a seated member a new code, revoking
	// the old one.
	ReissueEvaluatorCode(ctx context.Context, actor room.Actor, sessionID, memberID int64) (room.EvaluatorCode, error)
	// RedeemEvaluatorCode uses a code once, opening the login through
	// login; room.ErrCodeInvalid when it is not live.
	RedeemEvaluatorCode(ctx context.Context, code string, login room.CodeLogin) (room.CodeGrant, error)
	// EvaluatorSeat returns the seat of an evaluator account.
	EvaluatorSeat(ctx context.Context, sessionID, userID int64) (room.CodeGrant, error)
	// CheckEvaluatorCode reports whether a code is the member's live one.
	CheckEvaluatorCode(ctx context.Context, actor room.Actor, sessionID, memberID int64, code string) (time.Time, error)
}

var (
	errNoCodes = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "评标码服务未启用"}
	// errBadCode never says whether a code exists, was used or expired.
	errBadCode = &requestError{status: http.StatusUnauthorized, code: "bad_code", message: "评标码无效、已使用或已过期", field: "code"}
	// errCodeShape is a code that cannot be one: nothing was looked up.
	errCodeShape = &requestError{status: http.StatusUnprocessableEntity, code: "invalid", field: "code",
		message: "请输入8位评标码（字母和数字，如 ABCD-EFGH）"}
)

// evaluatorCodes returns the code service, or writes 503 and returns nil.
func (s *Server) evaluatorCodes(c *gin.Context) EvaluatorCodes {
	if codes, ok := s.p.Sessions.(EvaluatorCodes); ok {
		return codes
	}
	s.writeError(c, errNoCodes)
	return nil
}

// evalCodeRoutes registers the evaluator's way in: the public code login
// (api: CSRF-checked, not logged in), the re-issue of a code and its QR
// image for staff of the member's venue or an admin, and the evaluator's
// own seat.
func (s *Server) evalCodeRoutes(api, in *gin.RouterGroup) {
	api.POST("/login/code", s.loginByCode)
	in.POST("/sessions/:id/members/:member_id/code", s.requireRole(adminStaff...), s.reissueCode)
	in.GET("/sessions/:id/members/:member_id/code.png", s.requireRole(adminStaff...), s.codeQR)
	in.GET("/sessions/:id/seat", s.requireRole(auth.RoleEvaluator), s.mySeat)
}

type codeLoginRequest struct {
	Code string `json:"code"`
}

// evaluatorUsername names the evaluator account of a member in a session.
func evaluatorUsername(g room.CodeGrant) string {
	return fmt.Sprintf("ev.%d.%d", g.SessionID, g.MemberID)
}

// loginByCode logs an evaluator in with a one-time code: the code is used
// up, the member's evaluator account is created or reused, and the
// session cookie is set; the login ends with the evaluation session at the
// latest. A wrong, used or expired code is a 401 that changes nothing but
// the failure counter, which rate-limits attempts per client address.
func (s *Server) loginByCode(c *gin.Context) {
	codes := s.evaluatorCodes(c)
	if codes == nil {
		return
	}
	var req codeLoginRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if _, ok := room.NormalizeCode(req.Code); !ok {
		s.writeError(c, errCodeShape)
		return
	}
	ctx, ip := c.Request.Context(), c.ClientIP()
	if err := s.p.Auth.CheckCodeAttempts(ctx, ip); err != nil {
		s.writeError(c, err)
		return
	}
	var sess auth.Session
	_, err := codes.RedeemEvaluatorCode(ctx, req.Code, func(ctx context.Context, g room.CodeGrant) (int64, error) {
		var err error
		sess, err = s.p.Auth.LoginEvaluator(ctx, auth.EvaluatorLogin{Username: evaluatorUsername(g), DisplayName: g.MemberName,
			SessionRef: g.SessionRef, NotAfter: g.ExpiresAt, ClientIP: ip})
		return sess.User.ID, err
	})
	switch {
	case errors.Is(err, room.ErrCodeInvalid), errors.Is(err, auth.ErrBadCredentials):
		s.log.InfoContext(ctx, "evaluator code refused", "ip", ip, "err", err)
		if ferr := s.p.Auth.CodeLoginFailed(ctx, ip, "code_invalid"); ferr != nil {
			s.writeError(c, ferr)
			return
		}
		s.writeError(c, errBadCode)
		return
	case err != nil:
		s.writeError(c, err)
		return
	}
	s.setCookie(c, sess)
	c.JSON(http.StatusOK, gin.H{"user": sess.User, "expires_at": sess.ExpiresAt})
}

// reissueCode gives a seated member a new one-time code (the old one stops
// working); audited without the code.
func (s *Server) reissueCode(c *gin.Context) {
	codes := s.evaluatorCodes(c)
	if codes == nil {
		return
	}
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	memberID, err := pathID(c, "member_id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	code, err := codes.ReissueEvaluatorCode(c.Request.Context(), actorOf(me(c)), id, memberID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, code)
}

// mySeat returns the logged-in evaluator's seat in their session: room,
// venue, seat and member.
func (s *Server) mySeat(c *gin.Context) {
	codes := s.evaluatorCodes(c)
	if codes == nil {
		return
	}
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	seat, err := codes.EvaluatorSeat(c.Request.Context(), sess.ID, me(c).ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, seat)
}
