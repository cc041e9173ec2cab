package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/gin-gonic/gin"
)

// callbackTolerance is how far a callback's signed time may lie from ours
// when the server checks signatures itself.
const callbackTolerance = 5 * time.Minute

// maxCallbackBody bounds a gateway callback.
const maxCallbackBody = 64 << 10

// gatewayCallback records the keypress the voice gateway reports (1
// accept, 2 decline, 3 repeat), after checking its HMAC signature over the
// raw body (header X-Evalroom-Signature); a bad signature gets 401.
func (s *Server) gatewayCallback(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxCallbackBody))
	if err != nil {
		s.writeError(c, badRequest("回调内容过大或无法读取"))
		return
	}
	sig := c.GetHeader(notify.SignatureHeader)
	ctx := c.Request.Context()
	var res expertpool.AnswerResult
	if s.p.Callbacks != nil {
		res, err = s.p.Callbacks.HandleCallback(ctx, sig, body)
	} else {
		res, err = s.verifiedCallback(c, sig, body)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) verifiedCallback(c *gin.Context, sig string, body []byte) (expertpool.AnswerResult, error) {
	if s.p.GatewaySecret == "" {
		return expertpool.AnswerResult{}, fmt.Errorf("%w: no gateway secret configured", expertpool.ErrBadSignature)
	}
	if err := notify.VerifySignature(s.p.GatewaySecret, sig, body, s.now(), callbackTolerance); err != nil {
		return expertpool.AnswerResult{}, fmt.Errorf("%w: %v", expertpool.ErrBadSignature, err)
	}
	var a expertpool.GatewayAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return expertpool.AnswerResult{}, badRequest("回调内容不是有效的 JSON")
	}
	return s.p.Pool.GatewayCallback(c.Request.Context(), a)
}
