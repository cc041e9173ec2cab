package web

import (
	"errors"
	"net/http"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// apiError is the body of every error response.
type apiError struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Funnel says, for an unfilled quota, how many experts each rule
	// excluded.
	Funnel any `json:"funnel,omitempty"`
	// Rows lists the bad rows of a CSV import.
	Rows any `json:"rows,omitempty"`
	// Field names the input field the error is about (its JSON name), so
	// a form shows the message beside it.
	Field string `json:"field,omitempty"`
}

// requestError is an error made by web itself about the request (bad
// JSON, a bad path parameter, a missing CSRF header).
type requestError struct {
	status  int
	code    string
	message string
	field   string
}

func (e *requestError) Error() string { return "web: " + e.code + ": " + e.message }

func badRequest(message string) error {
	return &requestError{status: http.StatusBadRequest, code: "bad_request", message: message}
}

// fieldInvalid is a 422 about one input field, shown beside it.
func fieldInvalid(field, message string) error {
	return &requestError{status: http.StatusUnprocessableEntity, code: "invalid", message: message, field: field}
}

var errForbidden = &requestError{status: http.StatusForbidden, code: "forbidden", message: "无权执行此操作"}

// mapping is how one sentinel error is shown.
type mapping struct {
	sentinel error
	status   int
	code     string
	message  string // shown unless the error carries a Chinese detail
}

var mappings = []mapping{
	{expertpool.ErrInvalid, http.StatusUnprocessableEntity, "invalid", "输入无效"},
	{expertpool.ErrNotFound, http.StatusNotFound, "not_found", "未找到"},
	{expertpool.ErrConflict, http.StatusConflict, "conflict", "与已有数据冲突"},
	{expertpool.ErrQuotaUnfilled, http.StatusConflict, "quota_unfilled", "可抽取的专家不足，未完成抽取，未预约任何专家"},
	{expertpool.ErrSealed, http.StatusForbidden, "sealed", "名单尚未到签到时间，仍处于密封状态"},
	{expertpool.ErrBadSignature, http.StatusUnauthorized, "bad_signature", "链接或签名无效、已过期或已被使用"},
	{expertpool.ErrAnswerClosed, http.StatusConflict, "answer_closed", "该邀请已不再接受答复"},
	{notify.ErrBadSignature, http.StatusUnauthorized, "bad_signature", "签名无效、已过期或已被使用"},
	{room.ErrInvalid, http.StatusUnprocessableEntity, "invalid", "输入无效"},
	{room.ErrNotFound, http.StatusNotFound, "not_found", "未找到"},
	{room.ErrConflict, http.StatusConflict, "conflict", "与已有数据冲突"},
	{room.ErrForbidden, http.StatusForbidden, "forbidden", "无权执行此操作"},
	{room.ErrPhase, http.StatusConflict, "phase", "当前评标阶段不允许此操作"},
	{room.ErrBadSignature, http.StatusUnauthorized, "bad_signature", "设备签名无效"},
	{room.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "服务暂不可用"},
	{auth.ErrInvalid, http.StatusUnprocessableEntity, "invalid", "输入无效"},
	{auth.ErrNotFound, http.StatusNotFound, "not_found", "用户不存在"},
	{auth.ErrConflict, http.StatusConflict, "conflict", "用户名已存在"},
	{auth.ErrBadCredentials, http.StatusUnauthorized, "bad_credentials", "用户名或密码错误"},
	{auth.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "请先登录"},
	{auth.ErrForbidden, http.StatusForbidden, "forbidden", "无权执行此操作"},
	{auth.ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "登录失败次数过多，请稍后再试"},
}

// classify returns the status and body for err. Anything not known is a
// 500 with a generic message.
func classify(err error) (int, errorBody) {
	var re *requestError
	if errors.As(err, &re) {
		return re.status, errorBody{Code: re.code, Message: re.message, Field: re.field}
	}
	for _, m := range mappings {
		if errors.Is(err, m.sentinel) {
			body := errorBody{Code: m.code, Message: m.message}
			if d := errtext.After(err, m.sentinel); d != "" {
				body.Message = d
			}
			body.Field = errtext.FieldOf(err)
			if errors.Is(err, expertpool.ErrQuotaUnfilled) {
				body.Funnel = funnelOf(err)
			}
			return m.status, body
		}
	}
	return http.StatusInternalServerError, errorBody{Code: "internal", Message: "服务器内部错误"}
}

// writeError answers the request with err mapped to a status and a safe
// message; the full error goes to the log for 5xx.
func (s *Server) writeError(c *gin.Context, err error) {
	status, body := classify(err)
	if status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method,
			"route", c.FullPath(), "err", err)
	} else {
		s.log.DebugContext(c.Request.Context(), "request refused", "status", status, "err", err)
	}
	c.AbortWithStatusJSON(status, apiError{Error: body})
}
