package web

import (
	"net/http"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/gin-gonic/gin"
)

// DemoInbox is the demo's phone (*notify.Inbox): the messages sent to
// experts, so that someone trying the demo can answer as an expert.
type DemoInbox interface {
	Messages() []notify.InboxMessage
}

// demoMessages is GET /api/demo/messages: the demo phone's messages,
// newest first. Only a demo server (demo.seed with the log provider) has
// them; any other answers 404.
func (s *Server) demoMessages(c *gin.Context) {
	if s.p.DemoInbox == nil {
		s.writeError(c, &requestError{status: http.StatusNotFound, code: "not_found", message: "仅演示环境提供演示手机"})
		return
	}
	msgs := s.p.DemoInbox.Messages()
	if msgs == nil {
		msgs = []notify.InboxMessage{}
	}
	c.JSON(http.StatusOK, gin.H{"items": msgs})
}
