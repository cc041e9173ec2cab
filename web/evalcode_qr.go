package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/evalroom/evalroom/room"
	"github.com/gin-gonic/gin"
	"rsc.io/qr"
)

// codeQR answers a PNG QR code of the join link of a member's live
// evaluator code (query parameter c), for staff to show on screen or
// print: the phone that scans it opens /join with the code filled in.
// The server keeps only the code's hash, so the caller names the code;
// it must be the member's live one (404 otherwise). The query string
// never reaches the request log.
func (s *Server) codeQR(c *gin.Context) {
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
	code := c.Query("c")
	_, err = codes.CheckEvaluatorCode(c.Request.Context(), actorOf(me(c)), id, memberID, code)
	if errors.Is(err, room.ErrCodeInvalid) {
		s.writeError(c, &requestError{status: http.StatusNotFound, code: "not_found", field: "c", message: "该评标码不是此专家当前有效的评标码"})
		return
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	norm, _ := room.NormalizeCode(code)
	img, err := qr.Encode(s.joinURL(c, room.FormatCode(norm)), qr.M)
	if err != nil {
		s.writeError(c, err)
		return
	}
	img.Scale = 8
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/png", img.PNG())
}

// joinURL is the absolute /join link with code filled in, on the host the
// request came to.
func (s *Server) joinURL(c *gin.Context, code string) string {
	scheme := "http"
	if c.Request.TLS != nil || s.p.SecureCookies {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: c.Request.Host, Path: "/join", RawQuery: url.Values{"c": {code}}.Encode()}
	return u.String()
}
