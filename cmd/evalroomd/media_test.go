package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
)

// TestDemoSessionMedia is the room server's "done when": in the demo
// session of a running evalroomd, the recorders of the Nanjing and Hefei
// rooms publish; staff in Hefei and the evaluator in Nanjing each see and
// hear the other venue; a supervisor watches both rooms, and nobody is told
// about it; the audit log shows who watched which room.
func TestDemoSessionMedia(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfg := testConfig(t)
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	base, ws := "http://"+m.Addr, "ws://"+m.Addr+"/media/ws"

	staffNJ, staffHF, sup, expert := login(t, base, "staff-nj"), login(t, base, "staff-hf"), login(t, base, "supervisor"), login(t, base, "expert-demo")
	sess := demoSession(t, staffNJ)
	roomOf := map[string]int64{}
	for _, r := range sess.Rooms {
		roomOf[r.VenueCode] = r.ID
	}
	require.Len(t, roomOf, 2)
	path := "/api/sessions/" + itoa(sess.ID)

	// Before the session runs a recorder gets an upload-only token, which
	// the media server refuses.
	status, uploadOnly := deviceToken(t, base, cfg.Secrets.MasterKey, room.DemoMainRecorder)
	require.Equal(t, http.StatusOK, status, "an upload-only device token before sign-in opens")
	cctx, ccancel := context.WithTimeout(ctx, 15*time.Second)
	_, err := sfuclient.Join(cctx, ws, uploadOnly, sfuclient.Options{})
	ccancel()
	require.ErrorContains(t, err, "forbidden", "an upload-only token joins no media session")
	require.Equal(t, http.StatusOK, staffNJ.do("POST", path+"/phase", map[string]string{"phase": "signin"}, nil))

	mediaToken := func(c *client, roomID int64, publish bool) string {
		var out struct {
			Token string `json:"token"`
		}
		require.Equal(t, http.StatusOK, c.do("POST", path+"/media-token", map[string]any{"room_id": roomID, "publish": publish}, &out))
		return out.Token
	}

	events := &eventLog{}
	join := func(tok string, rec *receiver) *sfuclient.Client {
		opts := sfuclient.Options{OnEvent: events.add}
		if rec != nil {
			opts.OnTrack = rec.onTrack
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		c, err := sfuclient.Join(cctx, ws, tok, opts)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}

	publishers := map[string]*sfuclient.Client{}
	for _, rec := range []string{room.DemoMainRecorder, room.DemoRemoteRecorder} {
		status, tok := deviceToken(t, base, cfg.Secrets.MasterKey, rec)
		require.Equal(t, http.StatusOK, status)
		c := join(tok, nil)
		publishers[rec] = c
		startCamera(t, c, rec)
	}
	nj, hf := publishers[room.DemoMainRecorder].ID(), publishers[room.DemoRemoteRecorder].ID()

	// The supervisor joins first, so everyone after could have been told.
	supRecv := newReceiver()
	supClient := join(mediaToken(sup, 0, false), supRecv)
	hfRecv, njRecv := newReceiver(), newReceiver()
	staffHFClient := join(mediaToken(staffHF, roomOf[room.DemoRemoteVenue], false), hfRecv)
	expertClient := join(mediaToken(expert, roomOf[room.DemoMainVenue], false), njRecv)
	// The Nanjing room's screen shows Hefei, never Nanjing itself.
	var display struct {
		Token string `json:"token"`
	}
	require.Equal(t, http.StatusOK, staffNJ.do("POST", path+"/media-token", map[string]any{"room_id": roomOf[room.DemoMainVenue], "display": true}, &display))
	screenRecv := newReceiver()
	join(display.Token, screenRecv)

	waitFor(t, "Hefei staff see and hear Nanjing", func() bool { return hfRecv.has(nj, 30) })
	waitFor(t, "the Nanjing evaluator sees and hears Hefei", func() bool { return njRecv.has(hf, 30) })
	waitFor(t, "the supervisor sees both rooms", func() bool { return supRecv.has(nj, 30) && supRecv.has(hf, 30) })
	waitFor(t, "the Nanjing screen shows Hefei", func() bool { return screenRecv.has(hf, 30) })
	require.False(t, screenRecv.any(nj), "the Nanjing screen must not show Nanjing")

	// Staff control their own venue only: Hefei's staff cannot remove the
	// Nanjing evaluator; Nanjing's staff can.
	remove := func(c *sfuclient.Client, id string) {
		require.NoError(t, c.Send(sfu.Message{Type: sfu.TypeRemove, Participant: &sfu.ParticipantInfo{ID: id}}))
	}
	remove(staffHFClient, expertClient.ID())
	waitFor(t, "the refusal", func() bool {
		for _, e := range events.all() {
			if e.Type == sfu.TypeError && e.Code == "forbidden" && e.Recoverable {
				return true
			}
		}
		return false
	})
	select {
	case <-expertClient.Done():
		t.Fatal("Hefei's staff removed a Nanjing evaluator")
	default:
	}
	staffNJClient := join(mediaToken(staffNJ, roomOf[room.DemoMainVenue], false), nil)
	remove(staffNJClient, expertClient.ID())
	select {
	case <-expertClient.Done():
		var se *sfuclient.ServerError
		require.ErrorAs(t, expertClient.Err(), &se)
		require.Equal(t, "removed", se.Code)
	case <-time.After(15 * time.Second):
		t.Fatal("the evaluator was not removed")
	}

	// Nobody heard of the supervisor, and it cannot publish.
	require.NotEmpty(t, events.all(), "the others did get events")
	for _, e := range events.all() {
		if e.Participant != nil {
			require.NotEqual(t, supClient.ID(), e.Participant.ID, "event %s named the supervisor", e.Type)
		}
		for _, p := range e.Participants {
			require.NotEqual(t, supClient.ID(), p.ID, "event %s listed the supervisor", e.Type)
		}
	}
	require.Equal(t, http.StatusForbidden, sup.do("POST", path+"/media-token", map[string]any{"publish": true}, nil))
	require.NoError(t, supClient.Leave())

	var watched struct {
		Items []struct {
			Actor, Object string
		} `json:"entries"`
	}
	waitFor(t, "the supervisor's watch in the audit log", func() bool {
		require.Equal(t, http.StatusOK, sup.do("GET", "/api/audit?action=media.watch", nil, &watched))
		return len(watched.Items) >= 2
	})
	objects := map[string]bool{}
	for _, e := range watched.Items {
		objects[e.Object] = true
	}
	require.True(t, objects["room:"+itoa(roomOf[room.DemoMainVenue])] && objects["room:"+itoa(roomOf[room.DemoRemoteVenue])], watched.Items)
}

// eventLog keeps every signaling event any client received.
type eventLog struct {
	mu  sync.Mutex
	got []sfu.Message
}

func (l *eventLog) add(m sfu.Message) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, m)
}

func (l *eventLog) all() []sfu.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sfu.Message(nil), l.got...)
}

// receiver counts, per publisher, the video and audio packets received and
// whether a VP8 key frame came.
type receiver struct {
	mu    sync.Mutex
	video map[string]int
	audio map[string]int
	key   map[string]bool
}

func newReceiver() *receiver {
	return &receiver{video: map[string]int{}, audio: map[string]int{}, key: map[string]bool{}}
}

func (r *receiver) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	pub, kind := tr.StreamID(), tr.Kind()
	go func() {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			r.mu.Lock()
			if kind == webrtc.RTPCodecTypeVideo {
				r.video[pub]++
				if len(p.Payload) > 1 && p.Payload[0]&0x10 != 0 && p.Payload[1]&0x01 == 0 {
					r.key[pub] = true
				}
			} else {
				r.audio[pub]++
			}
			r.mu.Unlock()
		}
	}()
}

// any reports whether any packet came from publisher.
func (r *receiver) any(publisher string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.video[publisher]+r.audio[publisher] > 0
}

// has reports whether at least n video and n audio packets and a key frame
// arrived from publisher.
func (r *receiver) has(publisher string, n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.video[publisher] >= n && r.audio[publisher] >= n && r.key[publisher]
}

// startCamera publishes a synthetic VP8 camera (a key frame a second) and
// an Opus microphone over c until the test ends.
func startCamera(t *testing.T, c *sfuclient.Client, label string) {
	t.Helper()
	video, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, label+"-cam", label)
	require.NoError(t, err)
	audio, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, label+"-mic", label)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err = c.Publish(ctx, video, audio)
	require.NoError(t, err)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := uint32(0); ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			frame := make([]byte, 600)
			frame[0] = 0x10 // VP8 descriptor: start of partition
			if i%50 != 0 {
				frame[1] = 0x01 // inter frame
			}
			_ = video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(i), Timestamp: i * 1800}, Payload: frame})
			_ = audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: i * 960}, Payload: []byte{0xf8, 0xff, 0xfe}})
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
}

// TestTwoNodesShareSessions runs two evalroomd nodes on one PostgreSQL and
// Redis: the session is hosted where its first participant joined, and a
// client that reaches the other node is sent there and receives the media.
func TestTwoNodesShareSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := context.Background()
	cfgA := testConfig(t)
	cfgA.HTTP.Addr = freeAddr(t)
	cfgA.HTTP.PublicURL = "http://" + cfgA.HTTP.Addr
	cfgA.Cluster.NodeID = "node-a"
	cfgB := cfgA
	cfgB.HTTP.Addr = freeAddr(t)
	cfgB.HTTP.PublicURL = "http://" + cfgB.HTTP.Addr
	cfgB.Cluster.NodeID = "node-b"
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := NewMain(cfgA, quiet), NewMain(cfgB, quiet)
	require.NoError(t, a.Run(ctx))
	defer a.Close(ctx)
	require.NoError(t, b.Run(ctx))
	defer b.Close(ctx)

	staff := login(t, "http://"+b.Addr, "staff-nj")
	sess := demoSession(t, staff)
	path := "/api/sessions/" + itoa(sess.ID)
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/phase", map[string]string{"phase": "signin"}, nil))

	// The recorder publishes through node A, which then hosts the session.
	status, devToken := deviceToken(t, "http://"+a.Addr, cfgA.Secrets.MasterKey, room.DemoMainRecorder)
	require.Equal(t, http.StatusOK, status)
	jctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	pub, err := sfuclient.Join(jctx, "ws://"+a.Addr+"/media/ws", devToken, sfuclient.Options{})
	require.NoError(t, err)
	defer pub.Close()
	startCamera(t, pub, room.DemoMainRecorder)

	// Staff log in on node B and join there: they are redirected to A.
	var mt struct {
		Token string `json:"token"`
	}
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/media-token", map[string]any{}, &mt))
	recv := newReceiver()
	sub, err := sfuclient.Join(jctx, "ws://"+b.Addr+"/media/ws", mt.Token, sfuclient.Options{OnTrack: recv.onTrack})
	require.NoError(t, err)
	defer sub.Close()
	waitFor(t, "media through the redirect", func() bool { return recv.has(pub.ID(), 30) })
	require.Empty(t, b.sfu.Participants(itoa(sess.ID)), "node B hosts nothing")
	require.Len(t, a.sfu.Participants(itoa(sess.ID)), 2)

	// WHEP on the wrong node is redirected too.
	whepRecv := newReceiver()
	whep, err := sfuclient.WHEP(jctx, "http://"+b.Addr+"/media/whep?publisher="+pub.ID(), mt.Token, sfuclient.Options{OnTrack: whepRecv.onTrack})
	require.NoError(t, err)
	defer whep.Close(ctx)
	waitFor(t, "WHEP media through the redirect", func() bool { return whepRecv.has(pub.ID(), 30) })
}

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
