package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/room/token"
)

// loadConfig is one load run.
type loadConfig struct {
	// Media is the SFU's base URL, e.g. http://127.0.0.1:8080/media.
	Media string
	// Sessions, Publishers (per session), Subscribers (per session; each
	// receives every publisher of its session).
	Sessions, Publishers, Subscribers int
	// Bitrate of each publisher's video in bit/s, FPS its frame rate.
	Bitrate, FPS int
	// Warmup after everyone joined, then Duration measured.
	Warmup, Duration time.Duration
	// SessionBase is the first session id; sessions are consecutive.
	SessionBase int
	// PID of the server whose CPU is read; 0 for none.
	PID int
	// Mint signs a media token.
	Mint func(token.Claims) (string, error)
	// Log receives progress and per-client failures.
	Log *slog.Logger
}

// loadRun holds the clients of one run.
type loadRun struct {
	cfg       loadConfig
	hc        *http.Client
	start     time.Time
	measuring atomic.Bool

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup // RTCP and track readers, publisher senders
	pubs    []*loadPublisher
	streams []*loadStream
	tracks  []*loadTrack
	failed  []error
}

type loadPublisher struct {
	session, room, id, resource, token string
	pc                                 *webrtc.PeerConnection
	video, audio                       *webrtc.TrackLocalStaticRTP
	wantKey                            atomic.Bool // a PLI or FIR arrived
}

// loadStream is one WHEP viewer: one subscriber watching one publisher.
type loadStream struct {
	joinStart       time.Time
	resource, token string
	pc              *webrtc.PeerConnection
	connected       bool
}

// loadTrack is what one viewer received on one track. Only its reader
// goroutine writes it until the run is closed.
type loadTrack struct {
	video      bool
	seq        seqTracker
	bytes      uint64
	packets    uint64
	keyframes  int
	firstFrame time.Duration   // join → first keyframe; 0 if none
	latency    []time.Duration // a uniform sample of at most maxLatencySamples
	stamped    uint64          // latency measurements offered
	rng        uint64
}

// maxLatencySamples bounds each track's memory on long runs.
const maxLatencySamples = 20000

// addLatency keeps a uniform random sample of the measurements
// (reservoir sampling, Vitter's algorithm R).
func (t *loadTrack) addLatency(d time.Duration) {
	t.stamped++
	if len(t.latency) < maxLatencySamples {
		t.latency = append(t.latency, d)
		return
	}
	if t.rng == 0 {
		t.rng = 0x9e3779b97f4a7c15
	}
	t.rng ^= t.rng << 13 // xorshift64
	t.rng ^= t.rng >> 7
	t.rng ^= t.rng << 17
	if j := t.rng % t.stamped; j < maxLatencySamples {
		t.latency[j] = d
	}
}

func (r *loadRun) since() time.Duration { return time.Since(r.start) }

func (r *loadRun) fail(err error) {
	r.mu.Lock()
	r.failed = append(r.failed, err)
	r.mu.Unlock()
	r.cfg.Log.Warn("load client failed", "err", err)
}

// goOwned runs f as a goroutine the run waits for on close, unless the
// run is already closing.
func (r *loadRun) goOwned(f func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f()
	}()
	return true
}

func (r *loadRun) sessionID(s int) string { return strconv.Itoa(r.cfg.SessionBase + s) }

// publish connects publisher p of session s through WHIP.
func (r *loadRun) publish(ctx context.Context, s, p int) (*loadPublisher, error) {
	pub := &loadPublisher{session: r.sessionID(s), room: strconv.Itoa(p + 1)}
	tok, err := r.cfg.Mint(token.Claims{
		Subject: fmt.Sprintf("device:loadtest-%d-%d", s, p), Name: fmt.Sprintf("压测发布者 %d-%d", s, p),
		Session: pub.session, Room: pub.room, Role: token.RoleDevice, Grants: token.Grants{Publish: true},
	})
	if err != nil {
		return nil, fmt.Errorf("mint publisher token: %w", err)
	}
	pub.token = tok
	pc, err := newLoadPeer()
	if err != nil {
		return nil, err
	}
	pub.pc = pc
	changed := stateChanges(pc)
	pub.video, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: videoClock}, "video", "loadtest")
	if err == nil {
		pub.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: opusClock, Channels: 2}, "audio", "loadtest")
	}
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("tracks: %w", err)
	}
	for _, tr := range []*webrtc.TrackLocalStaticRTP{pub.video, pub.audio} {
		sender, err := pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			pc.Close()
			return nil, fmt.Errorf("add track: %w", err)
		}
		r.goOwned(func() { readRTCP(sender.Sender(), &pub.wantKey) })
	}
	r.mu.Lock()
	r.pubs = append(r.pubs, pub) // closed with the run even if the rest fails
	r.mu.Unlock()
	pub.resource, pub.id, err = r.connect(ctx, "/whip", tok, pc, changed)
	if err != nil {
		return nil, fmt.Errorf("whip %s/%s: %w", pub.session, pub.room, err)
	}
	return pub, nil
}

// connect runs the WHIP or WHEP exchange for pc at the SFU's endpoint
// (with its query) and waits until pc is connected, within 20 s. It
// returns the resource URL and the server's participant id.
func (r *loadRun) connect(ctx context.Context, endpoint, tok string, pc *webrtc.PeerConnection, changed <-chan struct{}) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resource, id, err := httpOffer(ctx, r.hc, r.cfg.Media+endpoint, tok, pc)
	if err != nil {
		return "", "", err
	}
	return resource, id, waitConnected(ctx, pc, changed)
}

// readRTCP reads a sender's RTCP (so the interceptors see it) and, like
// an encoder, asks for a keyframe on PLI or FIR (RFC 4585 §6.3.1,
// RFC 5104 §4.3.1).
func readRTCP(s *webrtc.RTPSender, wantKey *atomic.Bool) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				wantKey.Store(true)
			}
		}
	}
}

// send streams synthetic VP8 and Opus until stop closes.
func (r *loadRun) send(pub *loadPublisher, stop <-chan struct{}) {
	src := newVP8Source(r.cfg.Bitrate, r.cfg.FPS)
	vt := time.NewTicker(time.Second / time.Duration(r.cfg.FPS))
	at := time.NewTicker(time.Second / opusPPS)
	defer vt.Stop()
	defer at.Stop()
	var vseq, aseq uint16
	var vts, ats uint32
	var frame [][]byte
	for {
		select {
		case <-stop:
			return
		case <-vt.C:
			frame, _ = src.next(frame, r.since(), pub.wantKey.Swap(false))
			for i, p := range frame {
				vseq++
				// Write errors (a peer closing) are ignored; stop ends the loop.
				_ = pub.video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: vseq,
					Timestamp: vts, Marker: i == len(frame)-1}, Payload: p})
			}
			vts += uint32(videoClock / r.cfg.FPS)
		case <-at.C:
			aseq++
			_ = pub.audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: aseq,
				Timestamp: ats, Marker: aseq == 1}, Payload: opusPayload(r.since())})
			ats += opusClock / opusPPS
		}
	}
}

// subscribe connects one viewer of session s to publisher pub via WHEP.
func (r *loadRun) subscribe(ctx context.Context, s, sub int, pub *loadPublisher) error {
	tok, err := r.cfg.Mint(token.Claims{
		Subject: fmt.Sprintf("user:loadtest-%d-%d", s, sub), Name: fmt.Sprintf("压测观看者 %d-%d", s, sub),
		Session: pub.session, Room: pub.room, Role: token.RoleStaff, Grants: token.Grants{Subscribe: true},
	})
	if err != nil {
		return fmt.Errorf("mint subscriber token: %w", err)
	}
	pc, err := newLoadPeer()
	if err != nil {
		return err
	}
	st := &loadStream{token: tok, pc: pc}
	r.mu.Lock()
	r.streams = append(r.streams, st)
	r.mu.Unlock()
	changed := stateChanges(pc)
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fmt.Errorf("add transceiver: %w", err)
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		lt := &loadTrack{video: tr.Kind() == webrtc.RTPCodecTypeVideo}
		r.mu.Lock()
		r.tracks = append(r.tracks, lt)
		r.mu.Unlock()
		r.goOwned(func() { r.read(tr, lt, st.joinStart) })
	})
	st.joinStart = time.Now()
	if st.resource, _, err = r.connect(ctx, "/whep?publisher="+pub.id, tok, pc, changed); err != nil {
		return fmt.Errorf("whep %s/%s: %w", pub.session, pub.room, err)
	}
	st.connected = true
	return nil
}

// read counts one received track until its connection closes.
func (r *loadRun) read(tr *webrtc.TrackRemote, lt *loadTrack, joined time.Time) {
	buf := make([]byte, 1600)
	var h rtp.Header
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		hl, err := h.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		lt.seq.add(h.SequenceNumber)
		payload := buf[hl:n]
		measuring := r.measuring.Load()
		if measuring {
			lt.bytes += uint64(n)
			lt.packets++
		}
		if lt.video {
			var start, key, ok bool
			payload, start, key, ok = vp8Parse(payload)
			if !ok {
				continue
			}
			if start && key {
				lt.keyframes++
				if lt.firstFrame == 0 {
					lt.firstFrame = max(time.Since(joined), time.Nanosecond)
				}
			}
		} else if len(payload) > 0 {
			payload = payload[1:] // Opus TOC
		}
		if sent, ok := readStamp(payload); ok && measuring {
			lt.addLatency(r.since() - sent)
		}
	}
}

// close ends every client and waits for the run's goroutines; later
// calls do nothing.
func (r *loadRun) close() {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return
	}
	r.closing = true
	pubs, streams := r.pubs, r.streams
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	leave := func(resource, tok string, pc *webrtc.PeerConnection) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			httpDelete(ctx, r.hc, resource, tok)
			_ = pc.Close()
		}()
	}
	for _, st := range streams {
		leave(st.resource, st.token, st.pc)
	}
	for _, pub := range pubs {
		leave(pub.resource, pub.token, pub.pc)
	}
	wg.Wait()
	r.wg.Wait()
}
