package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// newLoadPeer returns a PeerConnection for one load-test client: default
// codecs and interceptors (NACK, RTCP reports, TWCC), IPv4 UDP, loopback
// candidates allowed so a server on this machine is reached directly.
func newLoadPeer() (*webrtc.PeerConnection, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("codecs: %w", err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, fmt.Errorf("interceptors: %w", err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	return pc, nil
}

// httpOffer runs the WHIP/WHEP exchange (RFC 9725 §4.2) for pc: it sends
// the complete offer (candidates gathered, no trickle) to endpoint with
// the bearer token, follows 307/308 redirects to the session's node, and
// applies the answer. It returns the resource URL and its last path
// segment (the server's participant id).
func httpOffer(ctx context.Context, hc *http.Client, endpoint, tok string, pc *webrtc.PeerConnection) (string, string, error) {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", "", fmt.Errorf("create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return "", "", fmt.Errorf("set offer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", "", fmt.Errorf("gather candidates: %w", ctx.Err())
	}
	sdp := []byte(pc.LocalDescription().SDP)
	target := endpoint
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(sdp))
		if err != nil {
			return "", "", fmt.Errorf("request %s: %w", target, err)
		}
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			return "", "", fmt.Errorf("post %s: %w", target, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case (resp.StatusCode == http.StatusTemporaryRedirect || resp.StatusCode == http.StatusPermanentRedirect) && hop < 3:
			loc, err := resp.Location()
			if err != nil {
				return "", "", fmt.Errorf("redirect from %s: %w", target, err)
			}
			target = loc.String()
			continue
		case resp.StatusCode != http.StatusCreated:
			return "", "", fmt.Errorf("post %s: %s: %s", target, resp.Status, bytes.TrimSpace(body))
		}
		loc, err := resp.Location()
		if err != nil {
			return "", "", fmt.Errorf("post %s: 201 without Location: %w", target, err)
		}
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
			return "", "", fmt.Errorf("set answer: %w", err)
		}
		return loc.String(), path.Base(loc.Path), nil
	}
}

// httpDelete ends a WHIP/WHEP resource; errors are ignored (the server
// also ends it when the peer goes away).
func httpDelete(ctx context.Context, hc *http.Client, resource, tok string) {
	if _, err := url.Parse(resource); err != nil || resource == "" {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, resource, nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := hc.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// waitConnected waits until pc is connected, fails or ctx ends.
func waitConnected(ctx context.Context, pc *webrtc.PeerConnection, changed <-chan struct{}) error {
	for {
		switch pc.ConnectionState() {
		case webrtc.PeerConnectionStateConnected:
			return nil
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			return fmt.Errorf("connection %s", pc.ConnectionState())
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("connect: %w", ctx.Err())
		}
	}
}

// stateChanges returns a channel signalled on every connection state
// change of pc.
func stateChanges(pc *webrtc.PeerConnection) <-chan struct{} {
	ch := make(chan struct{}, 1)
	pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	return ch
}
