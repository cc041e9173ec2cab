package sfu_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
	"github.com/evalroom/evalroom/room/token"
)

// auditEntry is one recorded audit call.
type auditEntry struct {
	Actor, Action, Object string
	Detail                any
}

// recorder is an in-test Auditor.
type recorder struct {
	mu      sync.Mutex
	entries []auditEntry
	fail    atomic.Bool
}

func (r *recorder) Audit(_ context.Context, actor, action, object string, detail any) error {
	if r.fail.Load() {
		return context.DeadlineExceeded
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, auditEntry{actor, action, object, detail})
	return nil
}

func (r *recorder) find(action, actor string) []auditEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []auditEntry
	for _, e := range r.entries {
		if e.Action == action && e.Actor == actor {
			out = append(out, e)
		}
	}
	return out
}

// loopback keeps ICE on the loopback interface, without mDNS.
func loopback(se *webrtc.SettingEngine) {
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
}

var testKey = bytes.Repeat([]byte("t"), 32)

type env struct {
	srv    *sfu.Server
	hs     *httptest.Server
	tokens *token.Authority
	audit  *recorder
	ws     string // ws://…/media/ws
	base   string // http://…/media
	client sfuclient.Options
	nodeID string
}

func newEnv(t testing.TB, tune ...func(*sfu.Params)) *env {
	t.Helper()
	tokens, err := token.New(testKey, time.Hour, nil)
	require.NoError(t, err)
	e := &env{tokens: tokens, audit: &recorder{}}
	mux := http.NewServeMux()
	e.hs = httptest.NewServer(mux)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.Default()
	}
	p := sfu.Params{Tokens: tokens, Auditor: e.audit, Logger: logger, Self: sfu.Node{ID: "n1", URL: e.hs.URL},
		ICE: sfu.ICEConfig{IncludeLoopback: true}, ConfigureSettingEngine: loopback}
	for _, f := range tune {
		f(&p)
	}
	e.nodeID = p.Self.ID
	e.srv, err = sfu.New(p)
	require.NoError(t, err)
	mux.Handle("/media/", labelled(http.StripPrefix("/media", e.srv.Handler())))
	e.ws = "ws" + strings.TrimPrefix(e.hs.URL, "http") + "/media/ws"
	e.base = e.hs.URL + "/media"
	e.client = sfuclient.Options{ConfigureSettingEngine: loopback}
	t.Cleanup(e.close)
	return e
}

// labelled runs h with the pprof label side=server, which the goroutines
// it starts (the server's pion peers) inherit; profiles of benchmarks can
// then tell the server's CPU from the in-process clients'.
func labelled(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pprof.Do(r.Context(), pprof.Labels("side", "server"), func(context.Context) { h.ServeHTTP(w, r) })
	})
}

func (e *env) close() {
	e.srv.Close()
	e.hs.Close()
}

func (e *env) mint(t testing.TB, c token.Claims) string {
	t.Helper()
	if c.Session == "" {
		c.Session = "1"
	}
	tok, _, err := e.tokens.Mint(c)
	require.NoError(t, err)
	return tok
}

func evaluator(subject, room string) token.Claims {
	return token.Claims{Subject: subject, Name: "评委" + subject, Room: room, Venue: "JS-NJ", Role: token.RoleEvaluator,
		Grants: token.Grants{Publish: true, Subscribe: true}}
}

func supervisor(subject string) token.Claims {
	return token.Claims{Subject: subject, Name: "监督", Role: token.RoleSupervisor,
		Grants: token.Grants{Subscribe: true, Hidden: true}}
}

func device(room string) token.Claims {
	return token.Claims{Subject: "device:edge-" + room, Room: room, Role: token.RoleDevice,
		Grants: token.Grants{Publish: true}}
}

// peer is a joined client with what it received.
type peer struct {
	*sfuclient.Client
	recv   *received
	events *events
}

func (e *env) join(t testing.TB, c token.Claims) *peer {
	t.Helper()
	p, err := e.tryJoin(t, e.ws, c)
	require.NoError(t, err)
	return p
}

func (e *env) tryJoin(t testing.TB, url string, c token.Claims) (*peer, error) {
	t.Helper()
	return e.joinWith(t, url, c, e.client)
}

func (e *env) joinWith(t testing.TB, url string, c token.Claims, opts sfuclient.Options) (*peer, error) {
	t.Helper()
	rc, ev := newReceived(), &events{}
	opts.OnTrack = rc.onTrack
	opts.OnEvent = ev.add
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := sfuclient.Join(ctx, url, e.mint(t, c), opts)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = cl.Close() })
	return &peer{Client: cl, recv: rc, events: ev}, nil
}

// events collects event messages.
type events struct {
	mu   sync.Mutex
	msgs []sfu.Message
}

func (e *events) add(m sfu.Message) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msgs = append(e.msgs, m)
}

func (e *events) all() []sfu.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sfu.Message(nil), e.msgs...)
}

func (e *events) has(f func(sfu.Message) bool) bool {
	for _, m := range e.all() {
		if f(m) {
			return true
		}
	}
	return false
}

// stream counts what arrived on one received track.
type stream struct {
	kind      webrtc.RTPCodecType
	publisher string
	packets   atomic.Int64
	keyframes atomic.Int64
	mu        sync.Mutex
	seqs      map[uint16]bool
	lastByte  atomic.Int32 // payload byte 2 of the last video packet (the test's layer mark)
	ssrc      uint32
	reports   []rtcp.SenderReport
}

// received tracks a client's incoming tracks by track id.
type received struct {
	mu      sync.Mutex
	streams map[string]*stream
	wg      sync.WaitGroup
}

func newReceived() *received { return &received{streams: map[string]*stream{}} }

func (r *received) onTrack(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	s := &stream{kind: tr.Kind(), publisher: tr.StreamID(), seqs: map[uint16]bool{}, ssrc: uint32(tr.SSRC())}
	s.lastByte.Store(-1)
	r.mu.Lock()
	r.streams[tr.ID()] = s
	r.mu.Unlock()
	go func() {
		for {
			pkts, _, err := recv.ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				if sr, ok := pk.(*rtcp.SenderReport); ok && sr.SSRC == s.ssrc {
					s.mu.Lock()
					s.reports = append(s.reports, *sr)
					s.mu.Unlock()
				}
			}
		}
	}()
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		s.packets.Add(1)
		s.mu.Lock()
		s.seqs[p.SequenceNumber] = true
		s.mu.Unlock()
		if s.kind == webrtc.RTPCodecTypeVideo && len(p.Payload) >= 3 {
			if p.Payload[0]&0x10 != 0 && p.Payload[1]&0x01 == 0 {
				s.keyframes.Add(1)
			}
			s.lastByte.Store(int32(p.Payload[2]))
		}
	}
}

func (r *received) get(id string) *stream {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.streams[id]
}

// fromPublisher returns the received streams of publisher by kind.
func (r *received) fromPublisher(pub string, kind webrtc.RTPCodecType) *stream {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.streams {
		if s.publisher == pub && s.kind == kind {
			return s
		}
	}
	return nil
}

// receives waits until the client got video keyframes and audio from
// publisher, and more packets than it had.
func (p *peer) receives(t *testing.T, publisher string, videoOnly bool) {
	t.Helper()
	var base int64
	if s := p.recv.fromPublisher(publisher, webrtc.RTPCodecTypeVideo); s != nil {
		base = s.packets.Load()
	}
	require.Eventually(t, func() bool {
		v := p.recv.fromPublisher(publisher, webrtc.RTPCodecTypeVideo)
		if v == nil || v.packets.Load() < base+20 || v.keyframes.Load() < 1 {
			return false
		}
		if videoOnly {
			return true
		}
		a := p.recv.fromPublisher(publisher, webrtc.RTPCodecTypeAudio)
		return a != nil && a.packets.Load() >= 20
	}, 15*time.Second, 50*time.Millisecond, "no media from %s", publisher)
}

// media is a synthetic VP8 + Opus source.
type media struct {
	video, audio *webrtc.TrackLocalStaticRTP
	levelID      atomic.Uint32
	stop         chan struct{}
	wg           sync.WaitGroup
	sent         atomic.Int64
}

func newMedia(t *testing.T, label string) *media {
	t.Helper()
	v, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, label+"-cam", label)
	require.NoError(t, err)
	a, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, label+"-mic", label)
	require.NoError(t, err)
	return &media{video: v, audio: a, stop: make(chan struct{})}
}

// setLevel takes the audio level extension id from the audio sender.
func (m *media) setLevel(s *webrtc.RTPSender) {
	for _, e := range s.GetParameters().HeaderExtensions {
		if e.URI == sdp.AudioLevelURI {
			m.levelID.Store(uint32(e.ID))
		}
	}
}

// vp8 returns a one-packet VP8 frame: descriptor (S=1), then the frame
// header byte (bit 0 clear on keyframes), then mark.
func vp8(key bool, mark byte, size int) []byte {
	p := make([]byte, size)
	p[0] = 0x10
	if !key {
		p[1] = 0x01
	}
	p[2] = mark
	return p
}

// start sends a 50 packets/s VP8 track (a keyframe every 25 frames) and
// Opus at 50 packets/s with a loud audio level.
func (m *media) start(t *testing.T) {
	t.Helper()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var i uint32
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
			vp := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(i), Timestamp: i * 1800},
				Payload: vp8(i%25 == 0, 7, 300)}
			_ = m.video.WriteRTP(vp)
			ap := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: i * 960},
				Payload: []byte{0xf8, 0xff, 0xfe}}
			if id := m.levelID.Load(); id != 0 {
				_ = ap.Header.SetExtension(uint8(id), []byte{0x80 | 10})
			}
			_ = m.audio.WriteRTP(ap)
			m.sent.Add(1)
			i++
		}
	}()
	t.Cleanup(m.halt)
}

func (m *media) halt() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	m.wg.Wait()
}

// publish publishes m's tracks over the client and starts sending.
func (p *peer) publish(t *testing.T, m *media) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	senders, err := p.Publish(ctx, m.video, m.audio)
	require.NoError(t, err)
	m.setLevel(senders[1])
	m.start(t)
}

// newExpiredToken mints with an authority whose clock is two hours back.
func newExpiredToken(t *testing.T) (string, error) {
	t.Helper()
	old, err := token.New(testKey, time.Hour, func() time.Time { return time.Now().Add(-2 * time.Hour) })
	if err != nil {
		return "", err
	}
	c := evaluator("user:99", "1")
	c.Session = "1"
	tok, _, err := old.Mint(c)
	return tok, err
}

// sendSimulcast publishes a VP8 track in the layers low, mid and high
// over p and, until the test ends, sends on every layer l a one-packet
// frame of size(l) bytes marked l every 20 ms (a keyframe every 10
// frames).
func (p *peer) sendSimulcast(t *testing.T, size func(layer int) int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rids := []string{"low", "mid", "high"}
	sc, err := p.PublishSimulcast(ctx, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "cam", "s", rids...)
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := uint32(0); ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for l, rid := range rids {
				pk := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(i), Timestamp: i * 1800},
					Payload: vp8(i%10 == 0, byte(l), size(l))}
				_ = sc.WriteRTP(rid, pk)
			}
		}
	}()
	t.Cleanup(func() { close(stop); wg.Wait() })
}

// publishedTrack waits until p is told of a track published by
// publisher and returns its id.
func (p *peer) publishedTrack(t *testing.T, publisher string) string {
	t.Helper()
	var track string
	require.Eventually(t, func() bool {
		for _, m := range p.events.all() {
			if m.Type == sfu.TypeTrackPublished && m.Track.Participant == publisher {
				track = m.Track.ID
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	return track
}

// layer is the simulcast layer mark of the last video packet p received
// on track, -1 before any.
func (p *peer) layer(track string) int32 {
	if s := p.recv.get(track); s != nil {
		return s.lastByte.Load()
	}
	return -1
}

// onLayer waits until p receives layer want of track.
func (p *peer) onLayer(t *testing.T, track string, want int32, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return p.layer(track) == want }, within, 20*time.Millisecond,
		"layer %d never arrived", want)
}
