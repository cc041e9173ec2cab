package sfu

import (
	"strings"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// downTrack forwards one published track to one subscriber. It is the
// webrtc.TrackLocal bound to the subscriber's sender: it picks the layer,
// switches layers on keyframes, and rewrites SSRC, payload type, sequence
// numbers and timestamps so the subscriber sees one continuous stream.
type downTrack struct {
	sub   *Participant
	pub   *pubTrack
	video bool
	clock uint32
	// hearsMuted: the subscriber keeps receiving this track while its
	// room is muted toward the other rooms (see mute.go).
	hearsMuted bool

	mu       sync.Mutex
	sender   *webrtc.RTPSender
	bound    bool
	ssrc     uint32
	pt       uint8
	writer   webrtc.TrackLocalWriter
	levelID  uint8
	absID    uint8 // abs-send-time extension id, 0 when not negotiated
	req      int   // requested quality (layer index)
	shift    int   // layers dropped for congestion
	paused   bool  // paused by the subscriber
	want     int   // layer to forward, -1 none
	current  int   // layer being forwarded, -1 none
	startSeq uint16
	seqOff   uint16
	tsOff    uint32
	lastSeq  uint16
	lastTS   uint32
	lastAt   time.Time
	started  bool
	packets  uint32
	octets   uint32
	hdr      rtp.Header   // scratch, reused for every packet
	hist     []sentPacket // video: what each recent sequence number carried
}

// sentPacket maps one sequence number a down track sent back to the
// packet of the published layer it carried, for NACKs.
type sentPacket struct {
	ts     uint32 // the timestamp sent
	resent uint32 // unix milliseconds (truncated, never 0) of the last retransmission, 0 none
	upSeq  uint16 // the layer's sequence number
	seq    uint16 // the sequence number sent
	layer  int8   // the layer index; -1 none
}

// resendGap is the least time between two retransmissions of one packet
// to one subscriber, so that repeated NACKs cannot multiply the traffic.
const resendGap = 40 * time.Millisecond

// histSize is how many sent packets a down track remembers (a power of
// two, at most cacheSize).
const histSize = cacheSize

func newDownTrack(sub *Participant, pub *pubTrack) *downTrack {
	d := &downTrack{sub: sub, pub: pub, video: pub.kind == webrtc.RTPCodecTypeVideo, clock: pub.codec.ClockRate,
		req: maxLayers - 1, want: -1, current: -1, hearsMuted: hearsMuted(sub, pub)}
	if d.video {
		d.hist = make([]sentPacket, histSize)
		for i := range d.hist {
			d.hist[i].layer = -1
		}
	}
	return d
}

// ID is the published track's id.
func (d *downTrack) ID() string { return d.pub.id }

// RID is empty: a subscriber receives one layer.
func (d *downTrack) RID() string { return "" }

// StreamID is the publishing participant's id.
func (d *downTrack) StreamID() string { return d.pub.owner.id }

// Kind is the published track's kind.
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.pub.kind }

// Bind is called by pion when the subscriber's sender starts.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var chosen *webrtc.RTPCodecParameters
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, d.pub.codec.MimeType) {
			if chosen == nil || (fmtpMatch(c.SDPFmtpLine, d.pub.codec.SDPFmtpLine) &&
				!fmtpMatch(chosen.SDPFmtpLine, d.pub.codec.SDPFmtpLine)) {
				c := c
				chosen = &c
			}
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	var levelID, absID uint8
	for _, e := range ctx.HeaderExtensions() {
		switch e.URI {
		case AudioLevelURI:
			levelID = uint8(e.ID)
		case sdp.ABSSendTimeURI:
			absID = uint8(e.ID)
		}
	}
	d.mu.Lock()
	d.bound, d.ssrc, d.pt, d.writer, d.levelID = true, uint32(ctx.SSRC()), uint8(chosen.PayloadType), ctx.WriteStream(), levelID
	d.absID = absID
	d.current = -1
	for i := range d.hist { // a new binding: nothing sent yet
		d.hist[i] = sentPacket{layer: -1}
	}
	d.mu.Unlock()
	d.reselect()
	return *chosen, nil
}

// Unbind is called by pion when the sender stops.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bound, d.writer = false, nil
	return nil
}

// setPreference applies a subscriber's "subscribe" request.
func (d *downTrack) setPreference(layer int, paused bool) {
	d.mu.Lock()
	d.req = layer
	if paused != d.paused {
		d.paused = paused
		d.current = -1 // resume on a keyframe
	}
	d.mu.Unlock()
	d.reselect()
}

// setShift applies the subscriber's congestion state, reselecting the
// layer when it changed.
func (d *downTrack) setShift(shift int) {
	d.mu.Lock()
	changed := d.shift != shift
	d.shift = shift
	d.mu.Unlock()
	if changed {
		d.reselect()
	}
}

// reselect recomputes the layer to forward and asks for a keyframe when
// the forwarded layer must change.
func (d *downTrack) reselect() {
	avail := d.pub.available()
	d.mu.Lock()
	want := resolveLayer(avail, max(0, d.req-d.shift))
	if d.current >= 0 && !avail[d.current] {
		d.current = -1
	}
	d.want = want
	needKey := d.video && d.bound && !d.paused && want >= 0 && want != d.current
	d.mu.Unlock()
	if needKey {
		if l := d.pub.layer(want); l != nil {
			l.wantKey.Store(true)
			l.requestKeyframe(d.sub.srv.now())
		}
	}
}

// forward writes one packet of layer l to the subscriber when l is the
// layer being forwarded, or switches to l on a keyframe when l is the
// wanted layer. level is the packet's audio level extension, if any. It
// reports whether the packet was written.
func (d *downTrack) forward(l *upLayer, h *rtp.Header, payload []byte, key bool, level []byte, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.bound || d.paused {
		return false
	}
	if !d.hearsMuted && d.pub.roomMuted.Load() {
		d.current = -1 // on unmute, continue the numbering as after a pause
		return false
	}
	if d.current != l.idx {
		if d.want != l.idx || (d.video && !key) {
			return false
		}
		d.switchTo(l.idx, h, now)
	}
	if int16(h.SequenceNumber-d.startSeq) < 0 {
		return false // sent before the switch to this layer
	}
	seq, ts := h.SequenceNumber+d.seqOff, h.Timestamp+d.tsOff
	o := &d.hdr
	o.Version, o.Padding, o.Marker, o.PayloadType = 2, h.Padding, h.Marker, d.pt
	o.SequenceNumber, o.Timestamp, o.SSRC = seq, ts, d.ssrc
	o.CSRC = o.CSRC[:0]
	o.Extension, o.Extensions = false, o.Extensions[:0]
	if d.levelID != 0 && len(level) > 0 {
		_ = o.SetExtension(d.levelID, level)
	}
	if d.absID != 0 {
		abs := absSendTime(now)
		_ = o.SetExtension(d.absID, abs[:])
	}
	if _, err := d.writer.WriteRTP(o, payload); err != nil {
		return false
	}
	if d.hist != nil {
		d.hist[seq%histSize] = sentPacket{ts: ts, upSeq: h.SequenceNumber, seq: seq, layer: int8(l.idx)}
	}
	if !d.started || int16(seq-d.lastSeq) > 0 {
		d.lastSeq, d.lastTS, d.lastAt, d.started = seq, ts, now, true
	}
	d.packets++
	d.octets += uint32(len(payload))
	return true
}

// switchTo starts forwarding layer idx from packet h, continuing the
// sequence numbers and advancing the timestamp by the time elapsed since
// the last packet sent.
func (d *downTrack) switchTo(idx int, h *rtp.Header, now time.Time) {
	if d.started {
		ticks := uint32(now.Sub(d.lastAt).Seconds() * float64(d.clock))
		if ticks == 0 {
			ticks = 1
		}
		d.seqOff = d.lastSeq + 1 - h.SequenceNumber
		d.tsOff = d.lastTS + ticks - h.Timestamp
	}
	d.current, d.startSeq = idx, h.SequenceNumber
}

// sendSenderReport forwards the publisher's NTP↔RTP mapping of layer l
// (RFC 3550 §6.4.1) to the subscriber when l is being forwarded.
func (d *downTrack) sendSenderReport(l *upLayer, ntp uint64, rtpTime uint32) {
	d.mu.Lock()
	if !d.bound || d.current != l.idx || !d.started {
		d.mu.Unlock()
		return
	}
	sr := &rtcp.SenderReport{SSRC: d.ssrc, NTPTime: ntp, RTPTime: rtpTime + d.tsOff,
		PacketCount: d.packets, OctetCount: d.octets}
	d.mu.Unlock()
	d.sub.mu.Lock()
	c := d.sub.sub
	d.sub.mu.Unlock()
	if c != nil {
		_ = c.pc.WriteRTCP([]rtcp.Packet{sr})
	}
}

// readRTCP reads the subscriber's RTCP for this track: NACKs are
// answered from the layer's packet cache, keyframe requests go to the
// publisher, receiver reports and REMB feed the subscriber's bandwidth
// estimator.
func (d *downTrack) readRTCP(sender *webrtc.RTPSender) {
	buf := make([]byte, maxPacket)
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		d.mu.Lock()
		ssrc := d.ssrc
		d.mu.Unlock()
		for _, pk := range pkts {
			switch pk := pk.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				d.mu.Lock()
				cur := d.current
				d.mu.Unlock()
				if l := d.pub.layer(cur); l != nil {
					l.requestKeyframe(d.sub.srv.now())
				}
			case *rtcp.TransportLayerNack:
				if pk.MediaSSRC != ssrc || d.hist == nil {
					continue
				}
				for i := range pk.Nacks {
					pk.Nacks[i].Range(func(seq uint16) bool {
						d.retransmit(seq, buf)
						return true
					})
				}
				d.sub.srv.flush()
			case *rtcp.ReceiverReport:
				for _, r := range pk.Reports {
					if r.SSRC == ssrc {
						d.sub.est.onLoss(r.FractionLost)
					}
				}
			case *rtcp.ReceiverEstimatedMaximumBitrate:
				d.sub.est.onREMB(float64(pk.Bitrate), d.sub.srv.now())
			}
		}
	}
}

// retransmit sends again the packet this down track sent as seq, taken
// from the layer's packet cache, on the original SSRC (RFC 4585 §6.2.1
// without RTX). buf is scratch space.
func (d *downTrack) retransmit(seq uint16, buf []byte) {
	ms := uint32(d.sub.srv.now().UnixMilli()) | 1
	d.mu.Lock()
	sent := &d.hist[seq%histSize]
	if sent.layer < 0 || sent.seq != seq || (sent.resent != 0 && ms-sent.resent < uint32(resendGap.Milliseconds())) {
		d.mu.Unlock()
		return
	}
	sent.resent = ms
	upSeq, layer, ts := sent.upSeq, sent.layer, sent.ts
	d.mu.Unlock()
	l := d.pub.layer(int(layer))
	if l == nil || l.cache == nil {
		return
	}
	n := l.cache.get(upSeq, buf)
	if n == 0 {
		return
	}
	var h rtp.Header
	hl, err := h.Unmarshal(buf[:n])
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.bound {
		return
	}
	h.PayloadType, h.SequenceNumber, h.Timestamp, h.SSRC = d.pt, seq, ts, d.ssrc
	h.CSRC, h.Extension, h.Extensions = nil, false, nil
	if d.absID != 0 {
		abs := absSendTime(d.sub.srv.now())
		_ = h.SetExtension(d.absID, abs[:])
	}
	_, _ = d.writer.WriteRTP(&h, buf[hl:n])
}

// absSendTime is the abs-send-time header extension's value for t: 24
// bits of seconds in 6.18 fixed point. Browsers' receive-side bandwidth
// estimate (sent back as REMB) reads it.
func absSendTime(t time.Time) [3]byte {
	v := uint32(t.Unix())<<18 | uint32(uint64(t.Nanosecond())<<18/1e9)
	return [3]byte{byte(v >> 16), byte(v >> 8), byte(v)}
}
