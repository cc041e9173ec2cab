package sfu

import (
	"strconv"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
)

// countingWriter stands in for pion's write stream.
type countingWriter struct {
	packets  int
	last     rtp.Header
	lastMark byte // payload byte 2 of the last packet
}

func (w *countingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.packets++
	w.last = *h
	if len(payload) > 2 {
		w.lastMark = payload[2]
	}
	return 0, nil
}

func (w *countingWriter) Write(b []byte) (int, error) { return len(b), nil }

// forwarding builds a published VP8 track with one layer and n bound
// down tracks writing to counting writers.
func forwarding(n int) (*upLayer, []*downTrack, []*countingWriter) {
	srv := &Server{now: time.Now, p: Params{KeyframeInterval: time.Hour}}
	owner := &Participant{srv: srv}
	t := &pubTrack{owner: owner, kind: webrtc.RTPCodecTypeVideo,
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}}
	l := &upLayer{track: t, mime: webrtc.MimeTypeVP8, clock: 90000}
	t.layers[0], t.live = l, 1
	var downs []*downTrack
	var ws []*countingWriter
	for i := range n {
		w := &countingWriter{}
		d := newDownTrack(&Participant{srv: srv}, t)
		d.bound, d.ssrc, d.pt, d.writer, d.want = true, uint32(1000+i), 96, w, 0
		downs = append(downs, d)
		ws = append(ws, w)
	}
	return l, downs, ws
}

func TestForwardRewritesAndSwitchesOnKeyframe(t *testing.T) {
	l, downs, ws := forwarding(1)
	d, w := downs[0], ws[0]
	now := time.Now()
	h := rtp.Header{Version: 2, SequenceNumber: 500, Timestamp: 9000, SSRC: 42, PayloadType: 100}
	d.forward(l, &h, []byte{0x10, 0x01}, false, nil, now)
	require.Zero(t, w.packets, "waits for a keyframe")
	h.SequenceNumber++
	d.forward(l, &h, []byte{0x10, 0x00}, true, nil, now)
	require.Equal(t, 1, w.packets)
	require.Equal(t, uint32(1000), w.last.SSRC)
	require.Equal(t, uint8(96), w.last.PayloadType)
	first := w.last.SequenceNumber

	// Paused and resumed: continues the sequence on the next keyframe.
	d.setPreference(0, true)
	h.SequenceNumber += 10
	d.forward(l, &h, []byte{0x10, 0x00}, true, nil, now)
	require.Equal(t, 1, w.packets)
	d.setPreference(0, false)
	h.SequenceNumber += 10
	h.Timestamp += 90000
	d.forward(l, &h, []byte{0x10, 0x00}, true, nil, now.Add(time.Second))
	require.Equal(t, 2, w.packets)
	require.Equal(t, first+1, w.last.SequenceNumber, "no gap for the decoder")
	require.Equal(t, uint32(9000+90000), w.last.Timestamp, "timestamps advance with elapsed time")

	// A packet from before the resume point is dropped.
	h.SequenceNumber -= 3
	d.forward(l, &h, []byte{0x10, 0x01}, false, nil, now)
	require.Equal(t, 2, w.packets)
}

func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(strconv.Itoa(n)+" subscribers", func(b *testing.B) {
			l, downs, _ := forwarding(n)
			payload := make([]byte, 1100)
			payload[0] = 0x10
			h := rtp.Header{Version: 2, SSRC: 42, PayloadType: 96}
			now := time.Now()
			for _, d := range downs {
				d.forward(l, &h, payload, true, nil, now)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(payload) * n))
			b.ResetTimer()
			for range b.N {
				h.SequenceNumber++
				h.Timestamp += 3000
				for _, d := range downs {
					d.forward(l, &h, payload, false, nil, now)
				}
			}
		})
	}
}
