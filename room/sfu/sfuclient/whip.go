package sfuclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/pion/webrtc/v4"
)

// HTTPSession is a WHIP publication or WHEP viewing.
type HTTPSession struct {
	wg sync.WaitGroup
	// PC is the session's peer connection.
	PC *webrtc.PeerConnection
	// Location is the resource URL (absolute).
	Location string
	client   *http.Client
	token    string
}

// WHIP publishes tracks to endpoint (http://host/media/whip) with tok
// (RFC 9725): one offer with all candidates, 201 and the answer. It
// follows 307 redirects to the node hosting the session.
func WHIP(ctx context.Context, endpoint, tok string, opts Options, tracks ...webrtc.TrackLocal) (*HTTPSession, error) {
	var senders []*webrtc.RTPSender
	s, err := httpOffer(ctx, endpoint, tok, opts, func(pc *webrtc.PeerConnection) error {
		for _, t := range tracks {
			tr, err := pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err != nil {
				return fmt.Errorf("add track %s: %w", t.ID(), err)
			}
			senders = append(senders, tr.Sender())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, snd := range senders {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			readSenderRTCP(snd, opts.OnRTCP)
		}()
	}
	return s, nil
}

// WHEP receives one publisher's tracks from endpoint
// (http://host/media/whep, optionally with ?publisher=<id>) with tok; it
// offers to receive one video and one audio track, delivered to
// opts.OnTrack.
func WHEP(ctx context.Context, endpoint, tok string, opts Options) (*HTTPSession, error) {
	return httpOffer(ctx, endpoint, tok, opts, func(pc *webrtc.PeerConnection) error {
		if opts.OnTrack != nil {
			pc.OnTrack(opts.OnTrack)
		}
		for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return fmt.Errorf("add %s transceiver: %w", k, err)
			}
		}
		return nil
	})
}

func httpOffer(ctx context.Context, endpoint, tok string, opts Options, setup func(*webrtc.PeerConnection) error) (*HTTPSession, error) {
	api, err := newAPI(opts.ConfigureSettingEngine)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	fail := func(err error) (*HTTPSession, error) {
		_ = pc.Close()
		return nil, err
	}
	if err := setup(pc); err != nil {
		return fail(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(fmt.Errorf("offer: %w", err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(fmt.Errorf("offer: %w", err))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	noFollow := *hc
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	target := endpoint
	for range maxRedirects + 1 {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader([]byte(pc.LocalDescription().SDP)))
		if err != nil {
			return fail(err)
		}
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := noFollow.Do(req)
		if err != nil {
			return fail(fmt.Errorf("post offer: %w", err))
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			next, err := resp.Location()
			if err != nil {
				return fail(fmt.Errorf("%w: redirect without location", ErrUnexpected))
			}
			target = next.String()
			continue
		case http.StatusCreated:
		default:
			return fail(httpError(resp.StatusCode, body))
		}
		loc, err := resp.Location()
		if err != nil {
			return fail(fmt.Errorf("%w: no Location", ErrUnexpected))
		}
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
			return fail(fmt.Errorf("answer: %w", err))
		}
		return &HTTPSession{PC: pc, Location: loc.String(), client: hc, token: tok}, nil
	}
	return fail(ErrTooManyRedirects)
}

func httpError(status int, body []byte) error {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return &ServerError{Code: e.Error.Code, Message: e.Error.Message, Status: status}
}

// Close deletes the resource (best effort) and closes the connection.
func (s *HTTPSession) Close(ctx context.Context) error {
	if _, err := url.Parse(s.Location); err == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.Location, nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+s.token)
			if resp, err := s.client.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
	err := s.PC.Close()
	s.wg.Wait()
	return err
}
