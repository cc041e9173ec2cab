package sfu

import (
	"fmt"
	"net"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// AudioLevelURI is the RFC 6464 client-to-mixer audio level header
// extension.
const AudioLevelURI = sdp.AudioLevelURI

// publisherFeedback is the RTCP feedback the SFU offers for video it
// receives: NACKs and keyframe requests from the SFU, and transport-wide
// congestion control feedback, which drives the publisher's own
// bandwidth estimate.
var publisherFeedback = []webrtc.RTCPFeedback{
	{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
	{Type: webrtc.TypeRTCPFBTransportCC},
}

// subscriberFeedback is the RTCP feedback the SFU offers for video it
// sends: NACKs (answered from the published track's packet cache),
// keyframe requests, and REMB, the receiver's own bandwidth estimate,
// which a browser sends when transport-cc is not negotiated (see
// estimator).
var subscriberFeedback = []webrtc.RTCPFeedback{
	{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
	{Type: webrtc.TypeRTCPFBGoogREMB},
}

type codec = struct {
	params webrtc.RTPCodecParameters
	kind   webrtc.RTPCodecType
}

// codecs are the codecs the SFU forwards. A publisher connection offers
// them with their RTX companions and transport-cc; a subscriber
// connection without RTX (retransmissions go on the original SSRC) and
// with REMB instead of transport-cc.
func codecs(target string) []codec {
	fb, audioFB := publisherFeedback, []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}}
	if target == TargetSubscriber {
		fb, audioFB = subscriberFeedback, nil
	}
	v := func(pt uint8, mime, fmtp string) codec {
		return codec{webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: fb}}, webrtc.RTPCodecTypeVideo}
	}
	rtx := func(pt, apt uint8) codec {
		return codec{webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", apt)}}, webrtc.RTPCodecTypeVideo}
	}
	out := []codec{
		{webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
			RTCPFeedback: audioFB}}, webrtc.RTPCodecTypeAudio},
		v(96, webrtc.MimeTypeVP8, ""), rtx(97, 96),
		v(102, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"), rtx(103, 102),
		v(106, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"), rtx(107, 106),
		v(112, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032"), rtx(113, 112),
	}
	if target == TargetSubscriber {
		kept := out[:0]
		for _, c := range out {
			if c.params.MimeType != webrtc.MimeTypeRTX {
				kept = append(kept, c)
			}
		}
		out = kept
	}
	return out
}

// newAPI builds the pion API for one PeerConnection: its own MediaEngine
// and interceptor registry.
//
// A publisher connection (target TargetPublisher) only receives: pion's
// NACK generator, receiver reports and TWCC feedback run on it.
//
// A subscriber connection only sends, and runs no interceptor at all, so
// that a forwarded packet goes from the down track straight to SRTP: the
// SFU answers NACKs itself from one cache per published layer (see
// packetCache), forwards the publishers' Sender Reports (see
// downTrack.sendSenderReport) and estimates the subscriber's bandwidth
// from its receiver reports and REMB (see estimator).
func (s *Server) newAPI(target string) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	for _, c := range codecs(target) {
		if err := me.RegisterCodec(c.params, c.kind); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.params.MimeType, err)
		}
	}
	type ext struct {
		uri  string
		kind webrtc.RTPCodecType
	}
	exts := []ext{{sdp.SDESMidURI, webrtc.RTPCodecTypeVideo}, {sdp.SDESMidURI, webrtc.RTPCodecTypeAudio},
		{AudioLevelURI, webrtc.RTPCodecTypeAudio}}
	if target == TargetSubscriber {
		// For the receiver's REMB estimate.
		exts = append(exts, ext{sdp.ABSSendTimeURI, webrtc.RTPCodecTypeVideo})
	} else {
		exts = append(exts, ext{sdp.SDESRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
			ext{sdp.SDESRepairRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
			ext{sdp.TransportCCURI, webrtc.RTPCodecTypeVideo}, ext{sdp.TransportCCURI, webrtc.RTPCodecTypeAudio})
	}
	for _, e := range exts {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: e.uri}, e.kind); err != nil {
			return nil, fmt.Errorf("register extension %s: %w", e.uri, err)
		}
	}

	reg := &interceptor.Registry{}
	if target == TargetPublisher {
		gen, err := nack.NewGeneratorInterceptor()
		if err != nil {
			return nil, fmt.Errorf("nack generator: %w", err)
		}
		rr, err := report.NewReceiverInterceptor()
		if err != nil {
			return nil, fmt.Errorf("receiver reports: %w", err)
		}
		fb, err := twcc.NewSenderInterceptor()
		if err != nil {
			return nil, fmt.Errorf("twcc feedback: %w", err)
		}
		reg.Add(gen)
		reg.Add(rr)
		reg.Add(fb)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(s.settings)), nil
}

// settingEngine builds the setting engine shared by every connection and
// opens the sockets ICEConfig asks for; closers are returned for Close.
func settingEngine(p Params) (webrtc.SettingEngine, []func() error, error) {
	var se webrtc.SettingEngine
	var closers []func() error
	ice := p.ICE
	se.SetIncludeLoopbackCandidate(ice.IncludeLoopback)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	switch {
	case ice.UDPMux != nil:
		se.SetICEUDPMux(ice.UDPMux)
	case ice.UDPConn != nil:
		mux := webrtc.NewICEUDPMux(nil, ice.UDPConn)
		se.SetICEUDPMux(mux)
		closers = append(closers, mux.Close)
	case ice.UDPPort > 0:
		conn, err := net.ListenUDP("udp", &net.UDPAddr{Port: ice.UDPPort})
		if err != nil {
			return se, closers, fmt.Errorf("ice udp port %d: %w", ice.UDPPort, err)
		}
		mux := webrtc.NewICEUDPMux(nil, conn)
		se.SetICEUDPMux(mux)
		closers = append(closers, mux.Close)
	case ice.PortMin > 0 || ice.PortMax > 0:
		if err := se.SetEphemeralUDPPortRange(ice.PortMin, ice.PortMax); err != nil {
			return se, closers, fmt.Errorf("ice port range: %w", err)
		}
	}
	if ice.TCPAddr != "" {
		l, err := net.Listen("tcp", ice.TCPAddr)
		if err != nil {
			for _, c := range closers {
				_ = c()
			}
			return se, nil, fmt.Errorf("ice tcp %s: %w", ice.TCPAddr, err)
		}
		mux := webrtc.NewICETCPMux(nil, l, 64)
		se.SetICETCPMux(mux)
		closers = append(closers, mux.Close)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(networks)
	if len(ice.NAT1To1IPs) > 0 {
		se.SetNAT1To1IPs(ice.NAT1To1IPs, webrtc.ICECandidateTypeHost)
	}
	if p.ConfigureSettingEngine != nil {
		p.ConfigureSettingEngine(&se)
	}
	return se, closers, nil
}
