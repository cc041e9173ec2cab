package live_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/recorder/live"
)

// loopback keeps ICE on the loopback interface, without mDNS.
func loopback() *webrtc.SettingEngine {
	se := &webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return se
}

// received is a frame the WHIP server reassembled.
type received struct {
	conn int
	ts   uint32
	data []byte
}

// report is a Sender Report the WHIP server read, with the host time it
// arrived.
type report struct {
	conn int
	sr   rtcp.SenderReport
	host time.Time
}

// whipServer is a WHIP endpoint (RFC 9725) answering with a real pion
// peer on 127.0.0.1; it reassembles the frames of each track and keeps
// the Sender Reports.
type whipServer struct {
	t  *testing.T
	hs *httptest.Server
	wg sync.WaitGroup
	// refuse, when not zero, is the status every offer gets.
	refuse atomic.Int32

	mu       sync.Mutex
	conns    int
	pcs      map[string]*webrtc.PeerConnection
	deletes  int
	frames   map[string][]received
	reports  map[string][]report
	ssrcs    map[string]uint32 // latest SSRC of each track
	seqSeen  map[string]map[uint16]int
	lastConn map[string]*webrtc.PeerConnection // per track
}

func newWHIPServer(t *testing.T) *whipServer {
	t.Helper()
	s := &whipServer{t: t, pcs: map[string]*webrtc.PeerConnection{}, frames: map[string][]received{},
		reports: map[string][]report{}, ssrcs: map[string]uint32{}, seqSeen: map[string]map[uint16]int{},
		lastConn: map[string]*webrtc.PeerConnection{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /whip", s.offer)
	mux.HandleFunc("DELETE /whip/{id}", s.delete)
	s.hs = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// Close drops every connection, stops the HTTP server and waits for the
// readers.
func (s *whipServer) Close() {
	s.hs.Close()
	s.dropAll()
	s.wg.Wait()
}

func (s *whipServer) url() string { return s.hs.URL + "/whip" }

func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, msg)
}

func (s *whipServer) offer(w http.ResponseWriter, r *http.Request) {
	if st := s.refuse.Load(); st != 0 {
		httpError(w, int(st), "unavailable", "服务暂不可用")
		return
	}
	if r.Header.Get("Authorization") != "Bearer good" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="evalroom", error="invalid_token"`)
		httpError(w, http.StatusUnauthorized, "unauthorized", "需要媒体令牌")
		return
	}
	if r.Header.Get("Content-Type") != "application/sdp" {
		httpError(w, http.StatusUnsupportedMediaType, "malformed", "需要 application/sdp")
		return
	}
	offer, err := io.ReadAll(r.Body)
	if err != nil {
		httpError(w, http.StatusBadRequest, "malformed", "读取失败")
		return
	}
	pc, err := newAnswerer()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	s.mu.Lock()
	s.conns++
	conn := s.conns
	id := fmt.Sprintf("r%d", conn)
	s.pcs[id] = pc
	s.mu.Unlock()
	pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
		s.mu.Lock()
		s.ssrcs[tr.ID()] = uint32(tr.SSRC())
		s.lastConn[tr.ID()] = pc
		s.mu.Unlock()
		s.wg.Go(func() { s.readRTP(conn, tr) })
		s.wg.Go(func() { s.readRTCP(conn, tr.ID(), rcv) })
	})
	fail := func(err error) {
		_ = pc.Close()
		httpError(w, http.StatusBadRequest, "malformed", err.Error())
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		fail(err)
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		fail(err)
		return
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		fail(err)
		return
	}
	<-gathered
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/whip/"+id)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, pc.LocalDescription().SDP)
}

func (s *whipServer) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	pc := s.pcs[r.PathValue("id")]
	delete(s.pcs, r.PathValue("id"))
	if pc != nil {
		s.deletes++
	}
	s.mu.Unlock()
	if pc == nil {
		httpError(w, http.StatusNotFound, "not_found", "没有这个资源")
		return
	}
	_ = pc.Close()
	w.WriteHeader(http.StatusOK)
}

// dropAll closes every connection without a word to the publisher, as a
// crashed or restarted server would.
func (s *whipServer) dropAll() {
	s.mu.Lock()
	pcs := s.pcs
	s.pcs = map[string]*webrtc.PeerConnection{}
	s.mu.Unlock()
	for _, pc := range pcs {
		_ = pc.Close()
	}
}

// newAnswerer is the server's peer: it receives H.264, VP8 and Opus, and
// for video offers NACK and keyframe requests and takes retransmissions
// by RTX, as the room server does.
func newAnswerer() (*webrtc.PeerConnection, error) {
	me := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	for _, c := range []struct {
		params webrtc.RTPCodecParameters
		kind   webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
			ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8,
			ClockRate: 90000, RTCPFeedback: fb}}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{PayloadType: 97, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX,
			ClockRate: 90000, SDPFmtpLine: "apt=96"}}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264,
			ClockRate: 90000, SDPFmtpLine: live.DefaultH264Fmtp, RTCPFeedback: fb}}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{PayloadType: 103, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX,
			ClockRate: 90000, SDPFmtpLine: "apt=102"}}, webrtc.RTPCodecTypeVideo},
	} {
		if err := me.RegisterCodec(c.params, c.kind); err != nil {
			return nil, err
		}
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(*loopback()))
	return api.NewPeerConnection(webrtc.Configuration{})
}

// readRTP reassembles the frames of one track: the packets from one
// marker bit to the next, depacketised. A frame with a sequence gap is
// left out; a repeated sequence number (a retransmission) is only
// counted.
func (s *whipServer) readRTP(conn int, tr *webrtc.TrackRemote) {
	var depack rtp.Depacketizer
	switch tr.Codec().MimeType {
	case webrtc.MimeTypeH264:
		depack = &codecs.H264Packet{}
	case webrtc.MimeTypeVP8:
		depack = &codecs.VP8Packet{}
	default:
		depack = &codecs.OpusPacket{}
	}
	var buf []byte
	var last uint16
	first, broken := true, false
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		s.mu.Lock()
		seen := s.seqSeen[tr.ID()]
		if seen == nil {
			seen = map[uint16]int{}
			s.seqSeen[tr.ID()] = seen
		}
		seen[pkt.SequenceNumber]++
		s.mu.Unlock()
		if !first && int16(pkt.SequenceNumber-last) <= 0 {
			continue // a retransmission
		}
		if !first && pkt.SequenceNumber != last+1 {
			broken = true
		}
		first, last = false, pkt.SequenceNumber
		data, err := depack.Unmarshal(pkt.Payload)
		if err != nil {
			broken = true
		}
		buf = append(buf, data...)
		if pkt.Marker {
			if !broken {
				s.mu.Lock()
				s.frames[tr.ID()] = append(s.frames[tr.ID()], received{conn: conn, ts: pkt.Timestamp, data: buf})
				s.mu.Unlock()
			}
			buf, broken = nil, false
		}
	}
}

func (s *whipServer) readRTCP(conn int, id string, rcv *webrtc.RTPReceiver) {
	for {
		pkts, _, err := rcv.ReadRTCP()
		if err != nil {
			return
		}
		for _, pk := range pkts {
			if sr, ok := pk.(*rtcp.SenderReport); ok {
				s.mu.Lock()
				s.reports[id] = append(s.reports[id], report{conn: conn, sr: *sr, host: time.Now()})
				s.mu.Unlock()
			}
		}
	}
}

// framesOf returns the frames of track id received on connection conn
// (0: any).
func (s *whipServer) framesOf(id string, conn int) []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []received
	for _, f := range s.frames[id] {
		if conn == 0 || f.conn == conn {
			out = append(out, f)
		}
	}
	return out
}

func (s *whipServer) reportsOf(id string) []report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]report(nil), s.reports[id]...)
}

// rtcp sends an RTCP packet about track id on its latest connection.
func (s *whipServer) rtcp(id string, pk func(ssrc uint32) rtcp.Packet) error {
	s.mu.Lock()
	pc, ssrc := s.lastConn[id], s.ssrcs[id]
	s.mu.Unlock()
	return pc.WriteRTCP([]rtcp.Packet{pk(ssrc)})
}

func (s *whipServer) counts() (conns, deletes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, s.deletes
}
