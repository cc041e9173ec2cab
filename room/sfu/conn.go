package sfu

import (
	"sync"

	"github.com/pion/webrtc/v4"
)

// Connection targets: a WebSocket participant has up to two peer
// connections, so that offers never cross (pion cannot roll back a local
// offer): on the publisher connection the client offers and the server
// answers; on the subscriber connection the server offers and the client
// answers. Candidates name their target.
const (
	TargetPublisher  = "publisher"
	TargetSubscriber = "subscriber"
)

// conn is one peer connection of a participant and its signaling state.
type conn struct {
	target string
	pc     *webrtc.PeerConnection

	mu          sync.Mutex // serialises signaling on pc
	negotiating bool       // a server offer awaits its answer
	pending     bool       // another server offer is needed after it
	candidates  []webrtc.ICECandidateInit
	ufrag       string
	mids        int
}

// newConn builds one of p's peer connections.
func (p *Participant) newConn(target string) (*conn, error) {
	c := &conn{target: target}
	api, err := p.srv.newAPI(target)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	c.pc = pc
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil || !p.sig.renegotiates() {
			return
		}
		init := cand.ToJSON()
		p.send(Message{Type: TypeCandidate, Target: target, Candidate: &init})
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed {
			p.log.Info("peer connection failed", "target", target)
			p.srv.goOwned(func() { p.close() })
		}
	})
	if target == TargetPublisher {
		pc.OnTrack(p.onTrack)
	}
	return c, nil
}

// publisherConn returns p's publisher connection, creating it on first
// use.
func (p *Participant) publisherConn() (*conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if p.pub == nil {
		c, err := p.newConn(TargetPublisher)
		if err != nil {
			return nil, err
		}
		p.pub = c
	}
	return p.pub, nil
}

// conns returns p's connections.
func (p *Participant) conns() []*conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*conn
	for _, c := range []*conn{p.pub, p.sub} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// publisherPC returns the publisher peer connection or nil.
func (p *Participant) publisherPC() *webrtc.PeerConnection {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pub == nil {
		return nil
	}
	return p.pub.pc
}
