package live

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/media/frame"
)

// videoFeedback is the RTCP feedback offered for video: NACKs (answered
// by pion's NACK responder from its packet cache) and keyframe requests.
var videoFeedback = []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}

// capability is the RTP format of t.
func capability(t Track) webrtc.RTPCodecCapability {
	switch t.Codec {
	case frame.H264:
		fmtp := t.Fmtp
		if fmtp == "" {
			fmtp = DefaultH264Fmtp
		}
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: videoFeedback}
	case frame.VP8:
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback}
	default:
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"}
	}
}

// payloader returns the RTP payloader of codec c (RFC 6184 for H.264 in
// packetization mode 1, RFC 7741 for VP8, RFC 7587 for Opus).
func payloader(c frame.Codec) rtp.Payloader {
	switch c {
	case frame.H264:
		return &codecs.H264Payloader{}
	case frame.VP8:
		return &codecs.VP8Payloader{EnablePictureID: true}
	default:
		return &codecs.OpusPayloader{}
	}
}

// newAPI builds the pion API of one connection: a MediaEngine with the
// tracks' formats only (video with an RTX companion, RFC 4588, so that
// retransmissions travel on their own SSRC and pass the receiver's SRTP
// replay check; without RTX in the answer they go on the original SSRC),
// and an interceptor registry with the NACK responder alone. pion's sender-report interceptor is left out on
// purpose: it stamps reports with the host clock, and the publisher
// writes its own from the corrected clock (see sender.report).
func newAPI(tracks []Track, se *webrtc.SettingEngine) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	registered := map[string]bool{}
	nextVideoPT := webrtc.PayloadType(96)
	for _, t := range tracks {
		c := capability(t)
		key := c.MimeType + ";" + c.SDPFmtpLine
		if registered[key] {
			continue
		}
		registered[key] = true
		if t.Codec == frame.Opus {
			if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: c, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
				return nil, fmt.Errorf("register codec %s: %w", c.MimeType, err)
			}
			continue
		}
		pt := nextVideoPT
		nextVideoPT += 2
		rtx := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", pt)}
		for _, cp := range []webrtc.RTPCodecParameters{{RTPCodecCapability: c, PayloadType: pt}, {RTPCodecCapability: rtx, PayloadType: pt + 1}} {
			if err := me.RegisterCodec(cp, webrtc.RTPCodecTypeVideo); err != nil {
				return nil, fmt.Errorf("register codec %s: %w", cp.MimeType, err)
			}
		}
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.SDESMidURI}, kind); err != nil {
			return nil, fmt.Errorf("register mid extension: %w", err)
		}
	}
	reg := &interceptor.Registry{}
	responder, err := nack.NewResponderInterceptor()
	if err != nil {
		return nil, fmt.Errorf("nack responder: %w", err)
	}
	reg.Add(responder)
	opts := []func(*webrtc.API){webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg)}
	if se != nil {
		opts = append(opts, webrtc.WithSettingEngine(*se))
	}
	return webrtc.NewAPI(opts...), nil
}
