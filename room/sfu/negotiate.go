package sfu

import (
	"context"
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// attach subscribes p to t. With addTrack (WHEP) the track takes one of
// the transceivers the client offered; otherwise a send-only transceiver
// is added and the server renegotiates.
func (p *Participant) attach(t *pubTrack, addTrack bool) {
	if !p.claims.Grants.Subscribe || t.owner == p {
		return
	}
	p.mu.Lock()
	if p.closed || p.downs[t.id] != nil {
		p.mu.Unlock()
		return
	}
	d := newDownTrack(p, t)
	p.downs[t.id] = d
	p.mu.Unlock()

	p.sigMu.Lock()
	var sender *webrtc.RTPSender
	var err error
	if addTrack {
		sender, err = p.pc.AddTrack(d)
	} else {
		var tr *webrtc.RTPTransceiver
		tr, err = p.pc.AddTransceiverFromTrack(d, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err == nil {
			if perr := tr.SetCodecPreferences(t.codecPreferences()); perr != nil {
				p.log.Debug("codec preferences", "err", perr)
			}
			sender = tr.Sender()
		}
	}
	if err != nil {
		p.sigMu.Unlock()
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
		p.negotiateLocked()
	}
	p.sigMu.Unlock()
	t.addDown(d)
	p.noteWatch(t.owner.claims.Room)
}

// detach ends p's subscription to t.
func (p *Participant) detach(t *pubTrack) {
	p.mu.Lock()
	d := p.downs[t.id]
	delete(p.downs, t.id)
	closed := p.closed
	p.mu.Unlock()
	if d == nil {
		return
	}
	t.removeDown(d)
	if closed {
		return
	}
	d.mu.Lock()
	sender := d.sender
	d.mu.Unlock()
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	if sender != nil {
		if err := p.pc.RemoveTrack(sender); err != nil {
			p.log.Debug("remove track", "err", err)
			return
		}
	}
	p.negotiateLocked()
}

// negotiateLocked sends a server offer, or remembers to send one when the
// last offer has not been answered yet. p.sigMu must be held.
func (p *Participant) negotiateLocked() {
	if !p.sig.renegotiates() || p.isClosed() {
		return
	}
	if p.negotiating || p.pc.SignalingState() != webrtc.SignalingStateStable {
		p.pending = true
		return
	}
	p.pending = false
	offer, err := p.pc.CreateOffer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(offer)
	}
	if err != nil {
		p.log.Warn("create offer", "err", err)
		return
	}
	p.negotiating = true
	p.send(Message{Type: TypeOffer, SDP: offer.SDP})
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

// answer applies a client offer and returns the server's answer. With
// gather it waits until ICE gathering has finished, so the answer holds
// every candidate (WHIP, WHEP). before, when set, runs between applying
// the offer and answering (WHEP attaches its tracks there).
func (p *Participant) answer(ctx context.Context, raw string, gather bool, before func()) (string, error) {
	if err := p.checkOffer(raw); err != nil {
		return "", err
	}
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	if p.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		// Glare: the server gives way and offers again after answering.
		if err := p.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback}); err != nil {
			return "", fmt.Errorf("%w: rollback: %v", ErrProtocol, err)
		}
		p.negotiating, p.pending = false, true
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: raw}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	p.rememberUfrag(raw)
	if before != nil {
		p.sigMu.Unlock()
		before()
		p.sigMu.Lock()
	}
	ans, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: answer: %v", ErrBadSDP, err)
	}
	done := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(ans); err != nil {
		return "", fmt.Errorf("%w: answer: %v", ErrBadSDP, err)
	}
	if err := p.flushCandidates(); err != nil {
		return "", err
	}
	if gather {
		select {
		case <-done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return p.pc.LocalDescription().SDP, nil
	}
	return ans.SDP, nil
}

// handleOffer answers a client offer on the WebSocket, then sends any
// server offer that waited.
func (p *Participant) handleOffer(ctx context.Context, raw string) error {
	ans, err := p.answer(ctx, raw, false, nil)
	if err != nil {
		return err
	}
	p.send(Message{Type: TypeAnswer, SDP: ans})
	p.sigMu.Lock()
	if p.pending {
		p.negotiateLocked()
	}
	p.sigMu.Unlock()
	return nil
}

// handleAnswer applies the client's answer to the last server offer.
func (p *Participant) handleAnswer(raw string) error {
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	if !p.negotiating || p.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return fmt.Errorf("%w: answer without an offer", ErrProtocol)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: raw}); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	p.rememberUfrag(raw)
	p.negotiating = false
	if err := p.flushCandidates(); err != nil {
		return err
	}
	if p.pending {
		p.negotiateLocked()
	}
	return nil
}

// maxQueuedCandidates bounds candidates received before the remote
// description.
const maxQueuedCandidates = 64

// handleCandidate adds a trickled remote candidate. A candidate naming
// another ICE username fragment belongs to another session and is
// refused.
func (p *Participant) handleCandidate(c webrtc.ICECandidateInit) error {
	if c.Candidate == "" {
		return nil // end of candidates
	}
	p.sigMu.Lock()
	defer p.sigMu.Unlock()
	if p.pc.RemoteDescription() == nil {
		if len(p.candidates) >= maxQueuedCandidates {
			return fmt.Errorf("%w: too many candidates before the offer", ErrProtocol)
		}
		p.candidates = append(p.candidates, c)
		return nil
	}
	return p.addCandidateLocked(c)
}

func (p *Participant) addCandidateLocked(c webrtc.ICECandidateInit) error {
	p.mu.Lock()
	ufrag := p.remoteUfrg
	p.mu.Unlock()
	if c.UsernameFragment != nil && *c.UsernameFragment != "" && ufrag != "" && *c.UsernameFragment != ufrag {
		return fmt.Errorf("%w: candidate for another ICE session", ErrBadCandidate)
	}
	if err := p.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("%w: %v", ErrBadCandidate, err)
	}
	return nil
}

func (p *Participant) flushCandidates() error {
	queued := p.candidates
	p.candidates = nil
	for _, c := range queued {
		if err := p.addCandidateLocked(c); err != nil {
			return err
		}
	}
	return nil
}

// rememberUfrag keeps the remote ICE username fragment of raw.
func (p *Participant) rememberUfrag(raw string) {
	for _, line := range strings.Split(raw, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			p.mu.Lock()
			p.remoteUfrg = v
			p.mu.Unlock()
			return
		}
	}
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
