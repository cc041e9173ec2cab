package web

import (
	"net/http"

	"github.com/evalroom/evalroom/media/clock"
	"github.com/gin-gonic/gin"
)

// clockRate is how many clock exchanges a second one client address may
// make (a burst of that many, refilled at that rate).
const clockRate = 20

var errClockRate = &requestError{status: http.StatusTooManyRequests, code: "rate_limited", message: "时钟同步请求过于频繁，请稍后再试"}

// clockExchange answers an NTP-style clock exchange (media/clock): the
// client's t1 echoed with the server's receive time t2 and send time t3,
// in UTC nanoseconds from the server's clock. It needs no login (it
// reveals only the time) and is limited per client address.
func (s *Server) clockExchange(c *gin.Context) {
	t2 := s.now()
	if !s.clockLimit.allow(c.ClientIP(), t2) {
		s.writeError(c, errClockRate)
		return
	}
	var req clock.Wire
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if req.T1 <= 0 {
		s.writeError(c, badRequest("t1 必须是客户端发送时刻（UTC 纳秒）"))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, clock.Wire{T1: req.T1, T2: t2.UnixNano(), T3: s.now().UnixNano()})
}
