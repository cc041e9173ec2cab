package sfu

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// Server is the SFU: it hosts one media session per evaluation session,
// forwards media between the participants and speaks the WebSocket,
// WHIP and WHEP signaling. Create it with New and stop it with Close.
type Server struct {
	p        Params
	log      *slog.Logger
	now      func() time.Time
	settings webrtc.SettingEngine
	closers  []func() error
	handler  http.Handler
	flusher  flusher // the batching UDP socket, or nil
	mutes    MuteStore

	mu        sync.Mutex
	sessions  map[string]*session
	resources map[string]*Participant // WHIP/WHEP resources by participant id
	closed    bool

	claimMu sync.Mutex // serialises Directory.Claim and Release

	wg        sync.WaitGroup
	done      chan struct{}
	closeOnce sync.Once
}

// New returns a server for p. It opens the sockets p.ICE asks for. It
// returns ErrMissingParam for a missing required field.
func New(p Params) (*Server, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	se, closers, err := settingEngine(p)
	if err != nil {
		return nil, err
	}
	s := &Server{
		p: p, log: p.Logger.With("component", "sfu", "node", p.Self.ID), now: p.Now,
		settings: se, closers: closers,
		sessions: map[string]*session{}, resources: map[string]*Participant{},
		done: make(chan struct{}), mutes: p.Mutes,
	}
	if s.mutes == nil {
		s.mutes = &memMutes{}
	}
	switch {
	case p.ICE.UDPMux != nil:
		s.flusher, _ = p.ICE.UDPMux.(flusher)
	case p.ICE.UDPConn != nil:
		s.flusher, _ = p.ICE.UDPConn.(flusher)
	}
	s.handler = s.routes()
	s.wg.Add(2)
	go s.allocateLoop()
	go s.muteLoop()
	return s, nil
}

// flusher is a batching socket (room/sfu/udpbatch.Conn): writes queue
// until Flush sends them in one system call.
type flusher interface{ Flush() error }

// flush sends what the batching socket queued, if there is one. The SFU
// calls it after fanning one incoming packet out to every subscriber.
func (s *Server) flush() {
	if s.flusher != nil {
		// A send error was logged by the socket; the packet is lost
		// like any other and NACK may recover it.
		_ = s.flusher.Flush()
	}
}

// Handler returns the HTTP handler serving /ws, /whip, /whip/{id}, /whep
// and /whep/{id} relative to where it is mounted.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", s.serveWS)
	mux.HandleFunc("POST /whip", s.serveWHIP)
	mux.HandleFunc("PATCH /whip/{id}", s.servePatch)
	mux.HandleFunc("DELETE /whip/{id}", s.serveDelete)
	mux.HandleFunc("POST /whep", s.serveWHEP)
	mux.HandleFunc("PATCH /whep/{id}", s.servePatch)
	mux.HandleFunc("DELETE /whep/{id}", s.serveDelete)
	return mux
}

// Close disconnects every participant, stops the server's goroutines and
// closes the sockets it opened. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		var ps []*Participant
		for _, sess := range s.sessions {
			ps = append(ps, sess.list()...)
		}
		s.mu.Unlock()
		close(s.done)
		for _, p := range ps {
			p.fail(codeClosing, "服务器正在关闭", nil)
		}
		for _, p := range ps {
			p.waitClosed()
		}
		s.wg.Wait()
		for _, c := range s.closers {
			if err := c(); err != nil {
				s.log.Warn("close ice socket", "err", err)
			}
		}
	})
	return nil
}

// LiveRooms returns, sorted, the rooms of session in which a device-role
// participant is publishing video on this node.
func (s *Server) LiveRooms(session string) []string {
	sess := s.lookup(session)
	if sess == nil {
		return nil
	}
	rooms := map[string]bool{}
	for _, p := range sess.list() {
		if p.claims.Role == roleDevice && p.publishingVideo() {
			rooms[p.claims.Room] = true
		}
	}
	out := make([]string, 0, len(rooms))
	for r := range rooms {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Participants returns the visible participants of session on this node,
// in joining order. Hidden participants are omitted.
func (s *Server) Participants(session string) []ParticipantInfo {
	sess := s.lookup(session)
	if sess == nil {
		return nil
	}
	var out []ParticipantInfo
	for _, p := range sess.list() {
		if !p.hidden() {
			out = append(out, p.info())
		}
	}
	return out
}

func (s *Server) lookup(session string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[session]
}

// hostSession returns the local session for id, creating it after
// claiming it in the directory. When another node hosts it, it returns
// that node and a nil session.
func (s *Server) hostSession(ctx context.Context, id string) (*session, *Node, error) {
	s.claimMu.Lock()
	defer s.claimMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, nil, ErrClosed
	}
	if sess := s.sessions[id]; sess != nil {
		s.mu.Unlock()
		return sess, nil, nil
	}
	s.mu.Unlock()
	if d := s.p.Directory; d != nil {
		node, err := d.Claim(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("claim session %s: %w", id, err)
		}
		if node.ID != "" && node.ID != s.p.Self.ID {
			return nil, &node, nil
		}
	}
	muted := s.loadMutes(ctx, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, ErrClosed
	}
	sess := newSession(s, id)
	sess.muted = muted
	s.sessions[id] = sess
	return sess, nil, nil
}

// dropSession forgets sess if it is still empty and releases its claim.
func (s *Server) dropSession(sess *session) {
	s.claimMu.Lock()
	defer s.claimMu.Unlock()
	s.mu.Lock()
	if s.sessions[sess.id] != sess || !sess.empty() {
		s.mu.Unlock()
		return
	}
	delete(s.sessions, sess.id)
	s.mu.Unlock()
	if d := s.p.Directory; d != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Release(ctx, sess.id); err != nil {
			s.log.Warn("release session", "session", sess.id, "err", err)
		}
	}
}

// goOwned runs f on a goroutine the server waits for in Close.
func (s *Server) goOwned(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}
