package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/evalroom/evalroom/web/assets"
	"github.com/gin-gonic/gin"
)

// beijing is China Standard Time (UTC+8, no daylight saving).
var beijing = time.FixedZone("CST", 8*3600)

func cnTime(t time.Time) string { return t.In(beijing).Format("2006年1月2日 15:04") }

var memberStates = map[string]string{
	"notified": "待答复", "confirmed": "已确认参加", "declined": "已拒绝", "no_answer": "未在期限内答复",
	"recused": "已回避", "cancelled": "已取消", "reserve": "备选",
}

// confirmView is what the confirmation page template shows.
type confirmView struct {
	Message   string
	Tone      string // ok, warn, err
	Info      *confirmInfo
	CanAnswer bool
	Token     string
	// ReasonError is shown beside the reason of a refused decline, whose
	// part of the form then stays open with the reason typed so far.
	ReasonError string
	Reason      string
}

type confirmInfo struct {
	Span, Venue, Address, Deadline, State string
}

func infoView(li expertpool.LinkInfo) *confirmInfo {
	v := &confirmInfo{Span: cnTime(li.StartsAt) + " 至 " + cnTime(li.EndsAt), Venue: li.VenueName, Address: li.VenueAddress,
		State: memberStates[li.State]}
	if v.State == "" {
		v.State = li.State
	}
	if li.Deadline != nil {
		v.Deadline = cnTime(*li.Deadline)
	}
	return v
}

func parseConfirmTemplate() (*template.Template, error) {
	t, err := template.ParseFS(assets.Templates, "templates/confirm.html")
	if err != nil {
		return nil, fmt.Errorf("web: confirm template: %w", err)
	}
	return t, nil
}

// confirmToken is the link's token: the query parameter t (the link sent to
// the expert) or the form field t (the page's own form).
func confirmToken(c *gin.Context) string {
	if t := c.PostForm("t"); t != "" {
		return t
	}
	return c.Query("t")
}

// confirmPage shows an invited expert the session's time, venue, address
// and answer deadline, with buttons to accept or decline.
func (s *Server) confirmPage(c *gin.Context) {
	token := confirmToken(c)
	info, err := s.p.Pool.LinkInfo(c.Request.Context(), token)
	if err != nil {
		s.confirmError(c, err)
		return
	}
	v := confirmView{Info: infoView(info), CanAnswer: info.CanAnswer, Token: token}
	if !info.CanAnswer {
		if info.State == "confirmed" {
			v.Message, v.Tone = "您已确认参加本次评标，请按时到场签到。感谢您的支持！", "ok"
		} else {
			v.Message, v.Tone = "本次邀请已结束，无需再答复。感谢您的支持！", "warn"
		}
	}
	s.renderConfirm(c, http.StatusOK, v)
}

// confirmAnswer takes the answer posted from the page.
func (s *Server) confirmAnswer(c *gin.Context) {
	token := confirmToken(c)
	var accept bool
	switch c.PostForm("answer") {
	case "accept":
		accept = true
	case "decline":
	default:
		s.confirmRetry(c, token, http.StatusBadRequest, "请选择接受或拒绝")
		return
	}
	reason := strings.TrimSpace(c.PostForm("reason"))
	res, err := s.p.Pool.AnswerByLink(c.Request.Context(), token, accept, reason)
	if err != nil {
		if errors.Is(err, expertpool.ErrInvalid) {
			status, body := classify(err)
			if !accept {
				s.confirmReasonRetry(c, token, status, body.Message, reason)
				return
			}
			s.confirmRetry(c, token, status, body.Message)
			return
		}
		s.confirmError(c, err)
		return
	}
	msg := res.Notice
	if msg == "" {
		msg = "您的答复已记录，感谢您的支持！"
	}
	tone := "ok"
	if !accept {
		tone = "warn"
	}
	s.renderConfirm(c, http.StatusOK, confirmView{Message: msg, Tone: tone})
}

// confirmRetry shows the form again with a message (the link is still
// unused).
func (s *Server) confirmRetry(c *gin.Context, token string, status int, msg string) {
	info, err := s.p.Pool.LinkInfo(c.Request.Context(), token)
	if err != nil {
		s.confirmError(c, err)
		return
	}
	s.renderConfirm(c, status, confirmView{Message: msg, Tone: "err", Info: infoView(info), CanAnswer: info.CanAnswer, Token: token})
}

// confirmReasonRetry shows the form again with the decline open and msg
// beside the reason (nothing was recorded; the link is still unused).
func (s *Server) confirmReasonRetry(c *gin.Context, token string, status int, msg, reason string) {
	info, err := s.p.Pool.LinkInfo(c.Request.Context(), token)
	if err != nil {
		s.confirmError(c, err)
		return
	}
	s.renderConfirm(c, status, confirmView{Info: infoView(info), CanAnswer: info.CanAnswer, Token: token,
		ReasonError: msg, Reason: reason})
}

// confirmError shows a refusal: a forged, expired or used link (401), a
// late answer (409, politely), or a server error.
func (s *Server) confirmError(c *gin.Context, err error) {
	status, body := classify(err)
	v := confirmView{Tone: "err", Message: body.Message}
	switch {
	case errors.Is(err, expertpool.ErrBadSignature):
		v.Message = "链接无效、已过期或已被使用。如需答复，请联系评标组织单位工作人员。"
		if d := errtext.After(err, expertpool.ErrBadSignature); d != "" {
			v.Message = d + "。如需答复，请联系评标组织单位工作人员。"
		}
	case errors.Is(err, expertpool.ErrAnswerClosed):
		v.Tone = "warn"
	case errors.Is(err, expertpool.ErrNotFound):
		v.Message = "该邀请不存在或已被撤销。"
	case status >= 500:
		s.log.ErrorContext(c.Request.Context(), "confirmation page failed", "err", err)
		v.Message = "服务器内部错误，请稍后再试或联系工作人员。"
	}
	s.renderConfirm(c, status, v)
}

func (s *Server) renderConfirm(c *gin.Context, status int, v confirmView) {
	var buf bytes.Buffer
	if err := s.confirmTmpl.Execute(&buf, v); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render confirmation page", "err", err)
		c.String(http.StatusInternalServerError, "服务器内部错误")
		return
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
