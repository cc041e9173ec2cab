package sfu

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evalroom/evalroom/room/token"
)

const (
	joinTimeout  = 10 * time.Second
	writeTimeout = 5 * time.Second
	sendQueue    = 256
)

var upgrader = websocket.Upgrader{
	ReadBufferSize: 4096, WriteBufferSize: 4096,
	// Media tokens, not cookies, authorise the connection.
	CheckOrigin: func(*http.Request) bool { return true },
}

// wsConn is the signaler of a WebSocket participant. A writer goroutine
// drains its queue; a client that does not keep up is disconnected.
type wsConn struct {
	conn    *websocket.Conn
	mu      sync.Mutex
	out     chan []byte
	closing bool
	done    chan struct{}
}

func newWSConn(c *websocket.Conn) *wsConn {
	w := &wsConn{conn: c, out: make(chan []byte, sendQueue), done: make(chan struct{})}
	go w.writeLoop()
	return w
}

func (w *wsConn) renegotiates() bool { return true }

func (w *wsConn) send(m Message) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing {
		return
	}
	if len(w.out) >= sendQueue-2 {
		// Too slow: give up on this client.
		w.closing = true
		close(w.out)
		return
	}
	w.out <- b
}

func (w *wsConn) close(final *Message) {
	var b []byte
	if final != nil {
		b, _ = json.Marshal(final)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing {
		return
	}
	w.closing = true
	if b != nil {
		w.out <- b
	}
	close(w.out)
}

func (w *wsConn) writeLoop() {
	defer close(w.done)
	defer w.conn.Close()
	for b := range w.out {
		_ = w.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := w.conn.WriteMessage(websocket.TextMessage, b); err != nil {
			for range w.out {
			}
			return
		}
	}
	_ = w.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
}

// read returns the next message, at most MaxMessageSize+1 bytes of it.
func (w *wsConn) read() ([]byte, error) {
	kind, r, err := w.conn.NextReader()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxMessageSize+1))
	if err != nil {
		return nil, err
	}
	if kind != websocket.TextMessage {
		return nil, errBinary
	}
	return b, nil
}

var errBinary = errors.New("binary message")

// Error codes sent in "error" messages.
const (
	codeTooLarge     = "too_large"
	codeMalformed    = "malformed"
	codeUnknownType  = "unknown_type"
	codeBadSDP       = "bad_sdp"
	codeBadCandidate = "bad_candidate"
	codeUnauthorized = "unauthorized"
	codeExpired      = "expired"
	codeForbidden    = "forbidden"
	codeProtocol     = "protocol"
	codeUnavailable  = "unavailable"
	codeClosing      = "closing"
	codeNotFound     = "unknown_track"
)

// describe maps an error to its code and a Chinese message for the user.
func describe(err error) (code, text string) {
	switch {
	case errors.Is(err, ErrTooLarge):
		return codeTooLarge, "消息过大（上限 64 KiB）"
	case errors.Is(err, ErrUnknownType):
		return codeUnknownType, "未知的消息类型"
	case errors.Is(err, ErrMalformed), errors.Is(err, errBinary):
		return codeMalformed, "消息格式错误"
	case errors.Is(err, ErrBadSDP):
		return codeBadSDP, "会话描述（SDP）无效"
	case errors.Is(err, ErrBadCandidate):
		return codeBadCandidate, "ICE 候选地址无效"
	case errors.Is(err, token.ErrExpired):
		return codeExpired, "媒体令牌已过期，请重新进入"
	case errors.Is(err, token.ErrInvalid):
		return codeUnauthorized, "媒体令牌无效"
	case errors.Is(err, ErrForbidden):
		return codeForbidden, "无权执行此操作"
	case errors.Is(err, ErrProtocol):
		return codeProtocol, "信令顺序错误"
	case errors.Is(err, ErrClosed):
		return codeClosing, "服务器正在关闭"
	case errors.Is(err, ErrNotFound):
		return codeNotFound, "没有这个媒体轨道"
	}
	return codeUnavailable, "媒体服务暂不可用，请稍后重试"
}

// serveWS runs one WebSocket client: join, then messages until leave,
// error or disconnect.
func (s *Server) serveWS(rw http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(rw, r, nil)
	if err != nil {
		return
	}
	conn.SetReadLimit(4 * MaxMessageSize)
	w := newWSConn(conn)
	defer func() { <-w.done }()
	refuse := func(err error) {
		code, text := describe(err)
		s.log.Info("refused websocket client", "code", code, "err", err)
		w.close(&Message{Type: TypeError, Code: code, Text: text})
	}

	_ = conn.SetReadDeadline(time.Now().Add(joinTimeout))
	b, err := w.read()
	if err != nil {
		refuse(errors.Join(ErrMalformed, err))
		return
	}
	m, err := Decode(b)
	switch {
	case err != nil:
		refuse(err)
		return
	case m.Type != TypeJoin:
		refuse(errors.Join(ErrProtocol, errors.New("first message must be join")))
		return
	}
	claims, err := s.p.Tokens.Verify(m.Token)
	if err != nil {
		refuse(err)
		return
	}
	if m.Session != "" && m.Session != claims.Session {
		refuse(errors.Join(ErrForbidden, errors.New("token is for another session")))
		return
	}
	if claims.Session == "" {
		refuse(errors.Join(ErrForbidden, errors.New("token names no session (upload-only device token)")))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), joinTimeout)
	p, node, err := s.admit(ctx, claims, "ws", w)
	cancel()
	if node != nil {
		w.close(&Message{Type: TypeRedirect, URL: wsURL(node.URL) + s.p.MountPath + "/ws"})
		return
	}
	if err != nil {
		refuse(err)
		return
	}
	defer p.close()
	_ = conn.SetReadDeadline(time.Time{})
	me := p.info()
	p.start(&Message{Type: TypeJoined, Participant: &me, ICEServers: s.p.ICE.ICEServers})

	for {
		b, err := w.read()
		if err != nil {
			if p.isClosed() || websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) ||
				errors.Is(err, net.ErrClosed) {
				return
			}
			code, text := describe(errors.Join(ErrMalformed, err))
			p.fail(code, text, err)
			return
		}
		m, err := Decode(b)
		if err == nil && !clientMessage(m.Type) {
			err = errors.Join(ErrUnknownType, errors.New(m.Type))
		}
		if err == nil {
			err = s.dispatch(r.Context(), p, m)
		}
		if errors.Is(err, errLeave) {
			return
		}
		if errors.Is(err, ErrNotFound) {
			code, text := describe(err)
			p.send(Message{Type: TypeError, Code: code, Text: text, Recoverable: true})
			continue
		}
		if err != nil {
			code, text := describe(err)
			p.fail(code, text, err)
			return
		}
	}
}

var errLeave = errors.New("leave")

func (s *Server) dispatch(ctx context.Context, p *Participant, m Message) error {
	switch m.Type {
	case TypeOffer:
		return p.handleOffer(ctx, m.SDP)
	case TypeAnswer:
		return p.handleAnswer(m.SDP)
	case TypeCandidate:
		return p.handleCandidate(m.Target, *m.Candidate)
	case TypeSubscribe:
		return p.handleSubscribe(m)
	case TypeLeave:
		return errLeave
	case TypeRemove:
		return p.handleRemove(ctx, m.Participant.ID)
	}
	return errors.Join(ErrProtocol, errors.New("join twice"))
}

// wsURL turns a node's http(s) base URL into ws(s).
func wsURL(base string) string {
	base = strings.TrimSuffix(base, "/")
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest
	}
	if rest, ok := strings.CutPrefix(base, "http://"); ok {
		return "ws://" + rest
	}
	return base
}
