package archive

import (
	"encoding/json"
	"errors"
	"net/http"
)

// apiError is one error's status, code and Chinese message.
type apiError struct {
	err     error
	status  int
	code    string
	message string
}

// apiErrors map the package's errors to HTTP, most specific first.
var apiErrors = []apiError{
	{ErrBadKey, http.StatusBadRequest, "bad_hash", "片段哈希须为 64 位小写十六进制 SHA-256"},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large", "上传内容超过大小限制"},
	{ErrHashMismatch, http.StatusUnprocessableEntity, "hash_mismatch", "片段内容与哈希不符，未保存"},
	{ErrBadSignature, http.StatusUnprocessableEntity, "bad_signature", "清单签名无效（与登记的公钥不符或内容被修改）"},
	{ErrUnknownRecorder, http.StatusForbidden, "unknown_recorder", "录像设备未登记"},
	{ErrMissingSegment, http.StatusConflict, "missing_segment", "请先上传清单对应的录像片段"},
	{ErrBrokenChain, http.StatusConflict, "broken_chain", "清单与该设备已接收的录像链不连续"},
	{ErrConflict, http.StatusConflict, "conflict", "该序号或片段已接收另一份清单"},
	{ErrInvalid, http.StatusBadRequest, "invalid", "清单无效"},
	{ErrNotFound, http.StatusNotFound, "not_found", "未找到"},
}

// classify returns the status, code and message of err; 500 for an
// error of no known kind.
func classify(err error) (int, string, string) {
	for _, e := range apiErrors {
		if errors.Is(err, e.err) {
			return e.status, e.code, e.message
		}
	}
	return http.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试"
}

// error answers with err's status and message and logs the detail.
func (h *handler) error(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := classify(err)
	h.fail(w, r, status, code, msg, err)
}

// fail answers an error and logs it with its detail.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, code, msg string, err error) {
	lvl := h.log.Warn
	if status >= 500 {
		lvl = h.log.Error
	}
	lvl("archive request refused", "method", r.Method, "path", r.URL.Path, "status", status, "code", code, "err", err)
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
