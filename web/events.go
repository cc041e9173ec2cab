package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/evalroom/evalroom/internal/events"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
)

// EventBus is the live event fan-out of the node (*events.Bus).
type EventBus interface {
	Subscribe() *events.Subscription
}

// eventsPing is how often an idle events socket is pinged, so proxies
// keep it open and dead browsers are noticed.
const eventsPing = 25 * time.Second

var eventsUpgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	// Same origin only: a page of another site must not read the events
	// with the user's cookie.
	CheckOrigin: sameOrigin,
}

// sameOrigin accepts a WebSocket upgrade without an Origin header (not a
// browser) or whose Origin's host is the request's host.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	i := strings.Index(origin, "://")
	return i >= 0 && origin[i+3:] == r.Host
}

// eventStream is GET /api/events: a WebSocket that sends, as one JSON
// text message each, the change hints (events.Event) whose object or
// topic matches the comma-separated filters of the "filter" query
// parameter ("session:3,draw:" ...; none: every event). The client sends
// nothing; the server pings. Panels re-read through the API on each hint.
func (s *Server) eventStream(c *gin.Context) {
	if s.p.Events == nil {
		s.writeError(c, &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "实时更新服务未启用"})
		return
	}
	var filters []string
	for _, f := range strings.Split(c.Query("filter"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			filters = append(filters, f)
		}
	}
	conn, err := eventsUpgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()
	sub := s.p.Events.Subscribe()
	defer sub.Close()

	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	go func() { // reads only to notice the close; owned: ends with conn
		defer cancel()
		conn.SetReadLimit(512)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	ping := time.NewTicker(eventsPing)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
				return
			}
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			if !e.Matches(filters) {
				continue
			}
			_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := conn.WriteJSON(e); err != nil {
				return
			}
		}
	}
}
