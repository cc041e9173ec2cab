package sfu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/room/token"
)

// roleDevice is the edge recorders' role.
const roleDevice = token.RoleDevice

// signaler carries messages to one participant's client.
type signaler interface {
	// send queues m; it never blocks.
	send(m Message)
	// close sends final (when not nil) and then closes the channel.
	close(final *Message)
	// renegotiates reports whether the server may send offers.
	renegotiates() bool
}

// Participant is one client in a media session: a WebSocket client, a
// WHIP publisher or a WHEP viewer.
type Participant struct {
	id       string
	srv      *Server
	sess     *session
	claims   token.Claims
	log      *slog.Logger
	joinedAt time.Time
	sig      signaler
	via      string // "ws", "whip", "whep"
	auto     bool   // subscribes to every track published in the session

	est   estimator // the subscriber connection's bandwidth
	alloc allocator // owned by the server's allocation loop

	sendMu  sync.Mutex
	ready   bool
	backlog []Message

	mu        sync.Mutex
	pub, sub  *conn // publisher and subscriber connections, either may be nil
	published map[*webrtc.RTPReceiver]*pubTrack
	downs     map[string]*downTrack
	closed    bool
	liveVideo int
	watchFrom map[string]time.Time

	wg        sync.WaitGroup
	closeOnce sync.Once
	closedCh  chan struct{}
}

func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// admit verifies that this node hosts the claims' session, audits the
// join and builds the participant (not yet in the session: see start).
// When another node hosts the session it returns that node.
func (s *Server) admit(ctx context.Context, c token.Claims, via string, sig signaler) (*Participant, *Node, error) {
	sess, node, err := s.hostSession(ctx, c.Session)
	if err != nil || node != nil {
		return nil, node, err
	}
	p := &Participant{
		id: newID("PA_"), srv: s, sess: sess, claims: c, joinedAt: s.now().UTC(), sig: sig, via: via,
		auto:      via == "ws",
		published: map[*webrtc.RTPReceiver]*pubTrack{}, downs: map[string]*downTrack{},
		watchFrom: map[string]time.Time{}, closedCh: make(chan struct{}),
	}
	p.log = sess.log.With("participant", p.id, "subject", c.Subject, "role", string(c.Role), "via", via)
	if err := s.p.Auditor.Audit(ctx, c.Subject, "media.join", "session:"+c.Session, map[string]any{
		"participant": p.id, "role": c.Role, "room": c.Room, "venue": c.Venue, "hidden": c.Grants.Hidden, "via": via,
	}); err != nil {
		s.dropSession(sess)
		return nil, nil, errors.Join(ErrAudit, err)
	}
	// WHIP has only a publisher connection, WHEP only a subscriber one;
	// a WebSocket client gets its publisher connection with its first
	// offer.
	switch {
	case via == "whip":
		p.pub, err = p.newConn(TargetPublisher)
	case via == "whep" || c.Grants.Subscribe:
		p.sub, err = p.newConn(TargetSubscriber)
	}
	if err != nil {
		s.dropSession(sess)
		return nil, nil, err
	}
	return p, nil, nil
}

// start enters p into its session: it is told (first message) who is
// there and what is published, the others learn of it unless it is
// hidden, and it subscribes to the published tracks when it may.
func (p *Participant) start(first *Message) {
	others, tracks := p.sess.add(p)
	if first != nil {
		for _, o := range others {
			if !o.hidden() {
				first.Participants = append(first.Participants, o.info())
			}
		}
		for _, t := range tracks {
			first.Tracks = append(first.Tracks, t.info())
		}
	}
	p.sendMu.Lock()
	if first != nil {
		p.sig.send(*first)
	}
	for _, m := range p.backlog {
		p.sig.send(m)
	}
	p.ready, p.backlog = true, nil
	p.sendMu.Unlock()
	p.log.Info("joined")
	if !p.hidden() {
		p.sess.broadcast(Message{Type: TypeParticipantJoined, Participant: ptr(p.info())}, p)
	}
	if p.auto {
		for _, t := range tracks {
			p.attach(t, false)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// send queues m for p's client; messages sent before p's first message
// wait behind it.
func (p *Participant) send(m Message) {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	if !p.ready {
		p.backlog = append(p.backlog, m)
		return
	}
	p.sig.send(m)
}

func (p *Participant) hidden() bool { return p.claims.Grants.Hidden }

func (p *Participant) info() ParticipantInfo {
	at := p.joinedAt
	return ParticipantInfo{ID: p.id, Subject: p.claims.Subject, Name: p.claims.Name, Role: string(p.claims.Role),
		Room: p.claims.Room, Venue: p.claims.Venue, JoinedAt: &at}
}

func (p *Participant) publishingVideo() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.liveVideo > 0
}

func (p *Participant) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// fail tells p's client what went wrong (code, Chinese text) and closes
// p. err, when set, is logged.
func (p *Participant) fail(code, text string, err error) {
	if err != nil {
		p.log.Info("closing participant", "code", code, "err", err)
	}
	p.sig.close(&Message{Type: TypeError, Code: code, Text: text})
	p.close()
}

// waitClosed blocks until close has finished.
func (p *Participant) waitClosed() { <-p.closedCh }

// close takes p out of its session, unpublishes its tracks, closes its
// connection, audits the leave and, when the session is empty, releases
// it. It is idempotent and returns when all of p's goroutines ended.
func (p *Participant) close() {
	p.closeOnce.Do(func() {
		defer close(p.closedCh)
		p.mu.Lock()
		p.closed = true
		pubs := make([]*pubTrack, 0, len(p.published))
		for _, t := range p.published {
			pubs = append(pubs, t)
		}
		downs := make([]*downTrack, 0, len(p.downs))
		for _, d := range p.downs {
			downs = append(downs, d)
		}
		p.mu.Unlock()

		empty := p.sess.remove(p)
		if !p.hidden() {
			p.sess.broadcast(Message{Type: TypeParticipantLeft, Participant: &ParticipantInfo{ID: p.id}}, p)
		}
		for _, t := range pubs {
			p.unpublish(t)
		}
		for _, d := range downs {
			d.pub.removeDown(d)
		}
		for _, c := range p.conns() {
			if err := c.pc.Close(); err != nil {
				p.log.Debug("close peer connection", "target", c.target, "err", err)
			}
		}
		p.wg.Wait()
		p.sig.close(nil)
		p.srv.forgetResource(p)
		p.auditLeave()
		if empty {
			p.srv.dropSession(p.sess)
		}
		p.log.Info("left")
	})
	<-p.closedCh
}
