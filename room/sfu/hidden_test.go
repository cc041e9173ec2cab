package sfu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
)

func TestHiddenSupervisorWatchesUnseenAndCannotPublish(t *testing.T) {
	e := newEnv(t)
	pub := e.join(t, evaluator("user:10", "1"))
	m := newMedia(t, "a")
	pub.publish(t, m)
	other := e.join(t, evaluator("user:11", "2"))

	sup := e.join(t, supervisor("user:90"))
	require.Len(t, sup.Joined().Participants, 2, "a supervisor sees everyone")
	sup.receives(t, pub.ID(), false)
	late := e.join(t, evaluator("user:12", "2"))
	require.Len(t, late.Joined().Participants, 2, "the supervisor is not listed")
	for _, p := range e.srv.Participants("1") {
		require.NotEqual(t, sup.ID(), p.ID)
	}

	// The supervisor tries to publish: refused and closed.
	cam, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "x", "x")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = sup.Publish(ctx, cam)
	var se *sfuclient.ServerError
	require.True(t, errors.As(err, &se), "got %v", err)
	require.Equal(t, "forbidden", se.Code)
	<-sup.Done()
	other.receives(t, pub.ID(), false)

	// Nobody heard a thing about the supervisor.
	time.Sleep(200 * time.Millisecond)
	for _, p := range []*peer{pub, other, late} {
		for _, ev := range p.events.all() {
			b := ev.Participant
			require.False(t, b != nil && b.ID == sup.ID(), "%s got %s about the supervisor", p.ID(), ev.Type)
			require.False(t, strings.Contains(ev.Text, sup.ID()))
		}
	}
	watches := e.audit.find("media.watch", "user:90")
	require.Len(t, watches, 1)
	require.Equal(t, "room:1", watches[0].Object)
}

func TestBadInputClosesOnlyTheOffender(t *testing.T) {
	e := newEnv(t)
	pub := e.join(t, evaluator("user:10", "1"))
	m := newMedia(t, "a")
	pub.publish(t, m)
	watcher := e.join(t, evaluator("user:11", "2"))
	watcher.receives(t, pub.ID(), true)

	afterJoin := func(name, code string, send func(*testing.T, *peer)) {
		t.Run(name, func(t *testing.T) {
			p := e.join(t, evaluator("user:50", "2"))
			p.receives(t, pub.ID(), true) // negotiated
			send(t, p)
			select {
			case <-p.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("not closed")
			}
			var se *sfuclient.ServerError
			require.True(t, errors.As(p.Err(), &se), "got %v", p.Err())
			require.Equal(t, code, se.Code)
			watcher.receives(t, pub.ID(), true)
		})
	}
	afterJoin("over 64 KiB", "too_large", func(t *testing.T, p *peer) {
		big := `{"type":"subscribe","track":"` + strings.Repeat("x", 70<<10) + `"}`
		require.NoError(t, p.SendRaw([]byte(big)))
	})
	afterJoin("malformed JSON", "malformed", func(t *testing.T, p *peer) {
		require.NoError(t, p.SendRaw([]byte(`{"type":"offer","sdp":`)))
	})
	afterJoin("unknown type", "unknown_type", func(t *testing.T, p *peer) {
		require.NoError(t, p.SendRaw([]byte(`{"type":"shout"}`)))
	})
	afterJoin("server message type", "unknown_type", func(t *testing.T, p *peer) {
		require.NoError(t, p.SendRaw([]byte(`{"type":"joined"}`)))
	})
	afterJoin("SDP garbage", "bad_sdp", func(t *testing.T, p *peer) {
		require.NoError(t, p.Send(sfu.Message{Type: sfu.TypeOffer, SDP: "v=0\r\nthis is not sdp"}))
	})
	afterJoin("candidate for another session", "bad_candidate", func(t *testing.T, p *peer) {
		other, mid := "someoneelse", "0"
		require.NoError(t, p.Send(sfu.Message{Type: sfu.TypeCandidate, Target: sfu.TargetSubscriber, Candidate: &webrtc.ICECandidateInit{
			Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", SDPMid: &mid, UsernameFragment: &other}}))
	})
	afterJoin("answer without offer", "protocol", func(t *testing.T, p *peer) {
		require.NoError(t, p.Send(sfu.Message{Type: sfu.TypeAnswer, SDP: "v=0"}))
	})

	refused := func(name, code string, join func() error) {
		t.Run(name, func(t *testing.T) {
			err := join()
			var se *sfuclient.ServerError
			require.True(t, errors.As(err, &se), "got %v", err)
			require.Equal(t, code, se.Code)
			watcher.receives(t, pub.ID(), true)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	refused("expired token", "expired", func() error {
		old, err := newExpiredToken(t)
		require.NoError(t, err)
		_, err = sfuclient.Join(ctx, e.ws, old, e.client)
		return err
	})
	refused("forged token", "unauthorized", func() error {
		tok := e.mint(t, evaluator("user:51", "1"))
		_, err := sfuclient.Join(ctx, e.ws, tok[:len(tok)-3]+"abc", e.client)
		return err
	})
	refused("evaluator joining another session", "forbidden", func() error {
		opts := e.client
		opts.Session = "2"
		_, err := sfuclient.Join(ctx, e.ws, e.mint(t, evaluator("user:52", "1")), opts)
		return err
	})
	refused("audit refuses the join", "unavailable", func() error {
		e.audit.fail.Store(true)
		defer e.audit.fail.Store(false)
		_, err := sfuclient.Join(ctx, e.ws, e.mint(t, evaluator("user:53", "1")), e.client)
		return err
	})
	require.Len(t, e.srv.Participants("1"), 2, "only the publisher and the watcher are left")
}

// presence records SetLive calls.
type presence struct {
	mu    sync.Mutex
	calls []string
}

func (p *presence) SetLive(_ context.Context, session, room string, live bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, fmt.Sprintf("%s/%s=%v", session, room, live))
	return nil
}

func (p *presence) get() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

func TestWHIPPublisherToWebSocketAndWebSocketToWHEP(t *testing.T) {
	pres := &presence{}
	e := newEnv(t, func(p *sfu.Params) { p.Presence = pres })
	sub := e.join(t, evaluator("user:11", "2"))
	m := newMedia(t, "edge")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	whip, err := sfuclient.WHIP(ctx, e.base+"/whip", e.mint(t, device("1")), e.client, m.video, m.audio)
	require.NoError(t, err)
	require.Contains(t, whip.Location, "/media/whip/PA_")
	m.start(t)
	var devID string
	require.Eventually(t, func() bool {
		for _, ev := range sub.events.all() {
			if ev.Type == sfu.TypeTrackPublished {
				devID = ev.Track.Participant
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	sub.receives(t, devID, false)
	require.Equal(t, []string{"1"}, e.srv.LiveRooms("1"))
	require.Equal(t, []string{"1/1=true"}, pres.get(), "the device's room is live")

	// A WHEP viewer (a supervisor) of the evaluator's camera.
	pub := e.join(t, evaluator("user:12", "2"))
	m2 := newMedia(t, "ev")
	pub.publish(t, m2)
	sub.receives(t, pub.ID(), false) // published
	rc := newReceived()
	opts := e.client
	opts.OnTrack = rc.onTrack
	whep, err := sfuclient.WHEP(ctx, e.base+"/whep?publisher="+pub.ID(), e.mint(t, supervisor("user:90")), opts)
	require.NoError(t, err)
	viewer := &peer{recv: rc}
	viewer.receives(t, pub.ID(), false)
	require.Nil(t, rc.fromPublisher(devID, webrtc.RTPCodecTypeVideo))

	// Refusals: no token, a token without the grant, not SDP.
	_, err = sfuclient.WHIP(ctx, e.base+"/whip", e.mint(t, supervisor("user:91")), e.client, m.video)
	var se *sfuclient.ServerError
	require.True(t, errors.As(err, &se))
	require.Equal(t, 403, se.Status)
	_, err = sfuclient.WHIP(ctx, e.base+"/whip", "nope", e.client, m.video)
	require.True(t, errors.As(err, &se))
	require.Equal(t, 401, se.Status)

	// Trickle: a PATCH with a candidate is accepted, an ICE restart is not,
	// and the content type must be the sdpfrag one.
	patch := func(body, ct string) int {
		req, err := http.NewRequestWithContext(ctx, http.MethodPatch, whip.Location, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	frag := "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
	require.Equal(t, http.StatusNoContent, patch(frag, "application/trickle-ice-sdpfrag"))
	require.Equal(t, http.StatusUnprocessableEntity, patch("a=ice-ufrag:other\r\n"+frag, "application/trickle-ice-sdpfrag"))
	require.Equal(t, http.StatusUnsupportedMediaType, patch(frag, "text/plain"))

	require.NoError(t, whip.Close(ctx))
	require.Eventually(t, func() bool { return len(e.srv.LiveRooms("1")) == 0 }, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{"1/1=true", "1/1=false"}, pres.get())
	del, err := http.NewRequestWithContext(ctx, http.MethodDelete, whip.Location, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(del)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "deleted already")
	require.NoError(t, whep.Close(ctx))
	require.Len(t, e.audit.find("media.watch", "user:90"), 1)
}
