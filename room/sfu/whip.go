package sfu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/room/token"
)

// httpSignaler is the signaler of WHIP and WHEP participants: they get
// no messages and are never renegotiated (RFC 9725 §4.2).
type httpSignaler struct{}

func (httpSignaler) send(Message)       {}
func (httpSignaler) close(*Message)     {}
func (httpSignaler) renegotiates() bool { return false }

const offerTimeout = 10 * time.Second

// serveWHIP accepts a WHIP ingest (RFC 9725 §4.2): Bearer token with the
// publish grant, an SDP offer; 201 with the answer and the resource's
// Location.
func (s *Server) serveWHIP(w http.ResponseWriter, r *http.Request) {
	s.serveHTTPOffer(w, r, "whip", func(c token.Claims) bool { return c.Grants.Publish })
}

// serveWHEP accepts a WHEP viewer: Bearer token with the subscribe grant,
// a receive-only SDP offer; it receives the tracks of one publisher
// (?publisher=<participant id>, default the first publisher in the
// token's room, else in the session) present when it joins.
func (s *Server) serveWHEP(w http.ResponseWriter, r *http.Request) {
	s.serveHTTPOffer(w, r, "whep", func(c token.Claims) bool { return c.Grants.Subscribe })
}

func (s *Server) serveHTTPOffer(w http.ResponseWriter, r *http.Request, via string, allowed func(token.Claims) bool) {
	claims, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if !allowed(claims) || (r.URL.Query().Get("session") != "" && r.URL.Query().Get("session") != claims.Session) {
		httpError(w, http.StatusForbidden, codeForbidden, "无权执行此操作")
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/sdp" {
		httpError(w, http.StatusUnsupportedMediaType, codeMalformed, "需要 application/sdp")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxMessageSize+1))
	if err != nil || len(body) > MaxMessageSize {
		httpError(w, http.StatusRequestEntityTooLarge, codeTooLarge, "会话描述过大")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), offerTimeout)
	defer cancel()
	p, node, err := s.admit(ctx, claims, via, httpSignaler{})
	if node != nil {
		target := strings.TrimSuffix(node.URL, "/") + s.p.MountPath + r.URL.Path
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
		return
	}
	if err != nil {
		code, text := describe(err)
		httpError(w, http.StatusServiceUnavailable, code, text)
		return
	}
	p.start(nil)
	var before func()
	if via == "whep" {
		before = func() { p.attachPublisher(r.URL.Query().Get("publisher")) }
	}
	c := p.sub
	if via == "whip" {
		c = p.pub
	}
	answer, err := p.answer(ctx, c, string(body), true, before)
	if err != nil {
		code, text := describe(err)
		status := http.StatusBadRequest
		if errors.Is(err, ErrForbidden) {
			status = http.StatusForbidden
		}
		p.close()
		httpError(w, status, code, text)
		return
	}
	s.mu.Lock()
	s.resources[p.id] = p
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", s.p.MountPath+"/"+via+"/"+p.id)
	w.Header().Set("ETag", `"`+p.id+`"`)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// attachPublisher gives a WHEP viewer the tracks of one publisher, at
// most as many per kind as the viewer offered to receive.
func (p *Participant) attachPublisher(id string) {
	tracks := p.sess.publishedTracks()
	owner := id
	if owner == "" {
		for _, room := range []string{p.claims.Room, ""} {
			for _, t := range tracks {
				if t.owner != p && (room == "" || t.owner.claims.Room == room) {
					owner = t.owner.id
					break
				}
			}
			if owner != "" {
				break
			}
		}
	}
	slots := map[webrtc.RTPCodecType]int{}
	for _, tr := range p.sub.pc.GetTransceivers() {
		if tr.Direction() == webrtc.RTPTransceiverDirectionSendonly || tr.Direction() == webrtc.RTPTransceiverDirectionSendrecv {
			slots[tr.Kind()]++
		}
	}
	for _, t := range tracks {
		if t.owner.id == owner && t.owner != p && slots[t.kind] > 0 {
			slots[t.kind]--
			p.attach(t, true)
		}
	}
}

// servePatch adds trickled candidates to a WHIP or WHEP resource
// (RFC 9725 §4.3.1, application/trickle-ice-sdpfrag). ICE restarts are
// not supported.
func (s *Server) servePatch(w http.ResponseWriter, r *http.Request) {
	p := s.resource(r.PathValue("id"))
	if p == nil {
		httpError(w, http.StatusNotFound, codeNotFound, "没有这个资源")
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/trickle-ice-sdpfrag" {
		httpError(w, http.StatusUnsupportedMediaType, codeMalformed, "需要 application/trickle-ice-sdpfrag")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxMessageSize+1))
	if err != nil || len(body) > MaxMessageSize {
		httpError(w, http.StatusRequestEntityTooLarge, codeTooLarge, "请求过大")
		return
	}
	c := p.sub
	target := TargetSubscriber
	if p.via == "whip" {
		c, target = p.pub, TargetPublisher
	}
	c.mu.Lock()
	ufrag := c.ufrag
	c.mu.Unlock()
	var mid string
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			if strings.TrimPrefix(line, "a=ice-ufrag:") != ufrag {
				httpError(w, http.StatusUnprocessableEntity, codeProtocol, "不支持 ICE 重启")
				return
			}
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case strings.HasPrefix(line, "a=candidate:"):
			cand := webrtc.ICECandidateInit{Candidate: strings.TrimPrefix(line, "a=")}
			if mid != "" {
				cand.SDPMid = &mid
			}
			if err := p.handleCandidate(target, cand); err != nil {
				code, text := describe(err)
				httpError(w, http.StatusBadRequest, code, text)
				return
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveDelete ends a WHIP or WHEP resource. The resource URL is
// unguessable; a token, when sent, must be for the same subject.
func (s *Server) serveDelete(w http.ResponseWriter, r *http.Request) {
	p := s.resource(r.PathValue("id"))
	if p == nil {
		httpError(w, http.StatusNotFound, codeNotFound, "没有这个资源")
		return
	}
	if r.Header.Get("Authorization") != "" {
		c, ok := s.bearer(w, r)
		if !ok {
			return
		}
		if c.Subject != p.claims.Subject {
			httpError(w, http.StatusForbidden, codeForbidden, "无权执行此操作")
			return
		}
	}
	p.close()
	w.WriteHeader(http.StatusOK)
}

func (s *Server) resource(id string) *Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resources[id]
}

func (s *Server) forgetResource(p *Participant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resources[p.id] == p {
		delete(s.resources, p.id)
	}
}

// bearer verifies the request's Bearer token, answering 401 itself when
// it is missing or invalid.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (token.Claims, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="evalroom"`)
		httpError(w, http.StatusUnauthorized, codeUnauthorized, "需要媒体令牌")
		return token.Claims{}, false
	}
	c, err := s.p.Tokens.Verify(strings.TrimSpace(raw))
	if err != nil {
		code, text := describe(err)
		w.Header().Set("WWW-Authenticate", `Bearer realm="evalroom", error="invalid_token"`)
		httpError(w, http.StatusUnauthorized, code, text)
		return token.Claims{}, false
	}
	return c, true
}

// httpError writes the JSON error shape web uses.
func httpError(w http.ResponseWriter, status int, code, text string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`+"\n", code, text)
}
