package live

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/media/clock"
	"github.com/evalroom/evalroom/media/frame"
)

// mtu is the RTP payload size: pion's 1200-byte packets less the RTP
// header, the header extensions and room for SRTP's tag.
const mtu = 1100

// sender packetises one track's frames on one connection and reports on
// them. Its mapping turns a frame's UTC into an RTP timestamp from a
// random base chosen when the connection starts (RFC 3550 §5.1), and the
// same mapping gives the RTP timestamp of each Sender Report's instant,
// so that a receiver maps RTP back to the recorder's corrected UTC.
type sender struct {
	t       *track
	local   *webrtc.TrackLocalStaticRTP
	rtp     *webrtc.RTPSender
	ssrc    uint32
	mapping clock.Mapping

	// Owned by the send loop.
	payloader rtp.Payloader
	seq       rtp.Sequencer

	// packets and octets are RTCP's sender's packet and octet counts
	// (payload octets, RFC 3550 §6.4.1), wrapping at 2^32.
	packets, octets atomic.Uint32
}

// newSender adds t to pc as a send-only track whose RTP clock starts
// from a random base at instant start.
func newSender(pc *webrtc.PeerConnection, t *track, start time.Time) (*sender, error) {
	mapping, err := clock.NewMapping(t.Codec.ClockRate(), rand.Uint32(), start)
	if err != nil {
		return nil, fmt.Errorf("track %s: %w", t.ID, err)
	}
	local, err := webrtc.NewTrackLocalStaticRTP(capability(t.Track), t.ID, "evalroom")
	if err != nil {
		return nil, fmt.Errorf("track %s: %w", t.ID, err)
	}
	tr, err := pc.AddTransceiverFromTrack(local, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("add track %s: %w", t.ID, err)
	}
	s := &sender{t: t, local: local, rtp: tr.Sender(), mapping: mapping, payloader: payloader(t.Codec),
		seq: rtp.NewRandomSequencer()}
	if enc := s.rtp.GetParameters().Encodings; len(enc) > 0 {
		s.ssrc = uint32(enc[0].SSRC)
	}
	return s, nil
}

// send packetises f and writes its packets; it reports whether all went
// out.
func (s *sender) send(f frame.Frame) bool {
	payloads := s.payloader.Payload(mtu, f.Data)
	if len(payloads) == 0 {
		return false
	}
	ts := s.mapping.Timestamp(f.UTC)
	for i, pl := range payloads {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, Marker: i == len(payloads)-1,
			SequenceNumber: s.seq.NextSequenceNumber(), Timestamp: ts}, Payload: pl}
		if err := s.local.WriteRTP(&pkt); err != nil {
			return false
		}
		s.packets.Add(1)
		s.octets.Add(uint32(len(pl)))
	}
	return true
}

// loop sends the track's queued frames until done is closed.
func (s *sender) loop(done <-chan struct{}, p *Publisher) {
	for {
		select {
		case <-done:
			return
		case f := <-s.t.queue:
			if s.send(f) {
				p.sent.Add(1)
			} else {
				p.drop(s.t)
			}
		}
	}
}

// report returns the RTCP Sender Report (RFC 3550 §6.4.1) of instant
// now on the corrected clock, or nil before the first packet.
func (s *sender) report(now time.Time) *rtcp.SenderReport {
	packets := s.packets.Load()
	if packets == 0 {
		return nil
	}
	return &rtcp.SenderReport{SSRC: s.ssrc, NTPTime: clock.ToNTP(now), RTPTime: s.mapping.Timestamp(now),
		PacketCount: packets, OctetCount: s.octets.Load()}
}

// readRTCP reads the server's RTCP for this track until the connection
// closes (which also lets the NACK responder see the NACKs), and asks for
// a keyframe on each PLI or FIR.
func (s *sender) readRTCP(p *Publisher) {
	for {
		pkts, _, err := s.rtp.ReadRTCP()
		if err != nil {
			return
		}
		if !s.t.video {
			continue
		}
		for _, pk := range pkts {
			switch pk.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				p.p.OnKeyframe(s.t.ID)
			}
		}
	}
}
