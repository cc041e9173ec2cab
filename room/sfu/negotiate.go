package sfu

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// attach subscribes p to t on p's subscriber connection. With addTrack
// (WHEP) the track takes one of the transceivers the client offered;
// otherwise a send-only transceiver is added and the server renegotiates.
func (p *Participant) attach(t *pubTrack, addTrack bool) {
	if !p.claims.Grants.Subscribe || t.owner == p || p.ownRoomOnDisplay(t) {
		return
	}
	p.mu.Lock()
	c := p.sub
	if p.closed || c == nil || p.downs[t.id] != nil {
		p.mu.Unlock()
		return
	}
	d := newDownTrack(p, t)
	p.downs[t.id] = d
	p.mu.Unlock()

	c.mu.Lock()
	var sender *webrtc.RTPSender
	var err error
	if addTrack {
		sender, err = c.pc.AddTrack(d)
	} else {
		var tr *webrtc.RTPTransceiver
		tr, err = c.pc.AddTransceiverFromTrack(d, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err == nil {
			c.mids++
			if merr := tr.SetMid("s" + strconv.Itoa(c.mids)); merr != nil {
				p.log.Debug("set mid", "err", merr)
			}
			if perr := tr.SetCodecPreferences(t.codecPreferences()); perr != nil {
				p.log.Debug("codec preferences", "err", perr)
			}
			sender = tr.Sender()
		}
	}
	if err != nil {
		c.mu.Unlock()
		p.mu.Lock()
		delete(p.downs, t.id)
		p.mu.Unlock()
		p.log.Debug("attach track", "track", t.id, "err", err)
		return
	}
	d.mu.Lock()
	d.sender = sender
	d.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		d.readRTCP(sender)
	}()
	if !addTrack {
		p.negotiateLocked(c)
	}
	c.mu.Unlock()
	t.addDown(d)
	p.noteWatch(t.owner.claims.Room)
}

// detach ends p's subscription to t.
func (p *Participant) detach(t *pubTrack) {
	p.mu.Lock()
	d := p.downs[t.id]
	delete(p.downs, t.id)
	closed, c := p.closed, p.sub
	p.mu.Unlock()
	if d == nil {
		return
	}
	t.removeDown(d)
	if closed || c == nil {
		return
	}
	d.mu.Lock()
	sender := d.sender
	d.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if sender != nil {
		if err := c.pc.RemoveTrack(sender); err != nil {
			p.log.Debug("remove track", "err", err)
			return
		}
	}
	p.negotiateLocked(c)
}

// negotiateLocked sends a server offer on c, or remembers to send one
// when the last offer has not been answered yet. c.mu must be held.
func (p *Participant) negotiateLocked(c *conn) {
	if !p.sig.renegotiates() || p.isClosed() {
		return
	}
	if c.negotiating || c.pc.SignalingState() != webrtc.SignalingStateStable {
		c.pending = true
		return
	}
	c.pending = false
	offer, err := c.pc.CreateOffer(nil)
	if err == nil {
		err = c.pc.SetLocalDescription(offer)
	}
	if err != nil {
		p.log.Warn("create offer", "err", err)
		return
	}
	c.negotiating = true
	p.send(Message{Type: TypeOffer, Target: c.target, SDP: offer.SDP})
}

// checkOffer parses a client offer and refuses one that sends media from
// a participant without the publish grant.
func (p *Participant) checkOffer(raw string) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return fmt.Errorf("%w: no media", ErrBadSDP)
	}
	if p.claims.Grants.Publish {
		return nil
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "application" || md.MediaName.Port.Value == 0 {
			continue
		}
		sends := true
		for _, a := range md.Attributes {
			switch a.Key {
			case "recvonly", "inactive":
				sends = false
			}
		}
		if sends {
			return fmt.Errorf("%w: %s without the publish grant", ErrForbidden, md.MediaName.Media)
		}
	}
	return nil
}

// answer applies a client offer on c and returns the server's answer.
// With gather it waits until ICE gathering has finished, so the answer
// holds every candidate (WHIP, WHEP). before, when set, runs between
// applying the offer and answering (WHEP attaches its tracks there).
func (p *Participant) answer(ctx context.Context, c *conn, raw string, gather bool, before func()) (string, error) {
	if err := p.checkOffer(raw); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.pc.SignalingState(); st != webrtc.SignalingStateStable {
		return "", fmt.Errorf("%w: offer in state %s", ErrProtocol, st)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: raw}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	c.ufrag = iceUfrag(raw)
	if before != nil {
		c.mu.Unlock()
		before()
		c.mu.Lock()
	}
	ans, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: answer: %v", ErrBadSDP, err)
	}
	done := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(ans); err != nil {
		return "", fmt.Errorf("%w: answer: %v", ErrBadSDP, err)
	}
	if err := c.flushCandidates(); err != nil {
		return "", err
	}
	if gather {
		select {
		case <-done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return c.pc.LocalDescription().SDP, nil
	}
	return ans.SDP, nil
}

// handleOffer answers a client offer on the publisher connection.
func (p *Participant) handleOffer(ctx context.Context, raw string) error {
	if err := p.checkOffer(raw); err != nil {
		return err
	}
	c, err := p.publisherConn()
	if err != nil {
		return err
	}
	ans, err := p.answer(ctx, c, raw, false, nil)
	if err != nil {
		return err
	}
	p.send(Message{Type: TypeAnswer, Target: TargetPublisher, SDP: ans})
	return nil
}

// handleAnswer applies the client's answer to the last server offer on
// the subscriber connection.
func (p *Participant) handleAnswer(raw string) error {
	p.mu.Lock()
	c := p.sub
	p.mu.Unlock()
	if c == nil {
		return fmt.Errorf("%w: answer without an offer", ErrProtocol)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.negotiating || c.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return fmt.Errorf("%w: answer without an offer", ErrProtocol)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: raw}); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	c.ufrag = iceUfrag(raw)
	c.negotiating = false
	if err := c.flushCandidates(); err != nil {
		return err
	}
	if c.pending {
		p.negotiateLocked(c)
	}
	return nil
}

// maxQueuedCandidates bounds candidates received before the remote
// description.
const maxQueuedCandidates = 64

// handleCandidate adds a trickled remote candidate to the connection it
// names. A candidate for another ICE username fragment belongs to another
// session and is refused.
func (p *Participant) handleCandidate(target string, cand webrtc.ICECandidateInit) error {
	if cand.Candidate == "" {
		return nil // end of candidates
	}
	p.mu.Lock()
	c := p.sub
	if target == TargetPublisher {
		c = p.pub
	}
	p.mu.Unlock()
	if c == nil && target == TargetPublisher {
		if !p.claims.Grants.Publish {
			return nil // its offer will be refused
		}
		// The candidate overtook the offer.
		var err error
		if c, err = p.publisherConn(); err != nil {
			return err
		}
	}
	if c == nil {
		return fmt.Errorf("%w: no %s connection", ErrBadCandidate, target)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pc.RemoteDescription() == nil {
		if len(c.candidates) >= maxQueuedCandidates {
			return fmt.Errorf("%w: too many candidates before the offer", ErrProtocol)
		}
		c.candidates = append(c.candidates, cand)
		return nil
	}
	return c.addCandidateLocked(cand)
}

func (c *conn) addCandidateLocked(cand webrtc.ICECandidateInit) error {
	if u := cand.UsernameFragment; u != nil && *u != "" && c.ufrag != "" && *u != c.ufrag {
		return fmt.Errorf("%w: candidate for another ICE session", ErrBadCandidate)
	}
	if err := c.pc.AddICECandidate(cand); err != nil {
		return fmt.Errorf("%w: %v", ErrBadCandidate, err)
	}
	return nil
}

func (c *conn) flushCandidates() error {
	queued := c.candidates
	c.candidates = nil
	for _, cand := range queued {
		if err := c.addCandidateLocked(cand); err != nil {
			return err
		}
	}
	return nil
}

// iceUfrag returns the first ICE username fragment in an SDP.
func iceUfrag(raw string) string {
	for _, line := range strings.Split(raw, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}

// handleSubscribe applies a "subscribe" message.
func (p *Participant) handleSubscribe(m Message) error {
	p.mu.Lock()
	d := p.downs[m.TrackID]
	p.mu.Unlock()
	if d == nil {
		return fmt.Errorf("%w: track %s", ErrNotFound, m.TrackID)
	}
	d.setPreference(layerIndex(m.Layer), m.Paused)
	return nil
}
