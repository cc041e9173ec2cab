package sfu_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
)

// A subscriber's connection negotiates REMB and abs-send-time, not
// transport-cc (so the server runs no per-packet congestion interceptor),
// and a low REMB from a subscriber drops it to a lower simulcast layer
// while another subscriber keeps the high one.
func TestREMBDropsALayer(t *testing.T) {
	e := newEnv(t)
	low := e.join(t, evaluator("user:2", "2"))
	high := e.join(t, evaluator("user:3", "3"))
	pub := e.join(t, evaluator("user:1", "1"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rids := []string{"low", "mid", "high"}
	sc, err := pub.PublishSimulcast(ctx, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "cam", "s", rids...)
	require.NoError(t, err)
	require.Contains(t, pub.Publisher().RemoteDescription().SDP, "transport-cc", "publishers keep their own estimate")

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
				p := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(i), Timestamp: i * 1800},
					Payload: vp8(i%10 == 0, byte(l), []int{120, 500, 1200}[l])}
				_ = sc.WriteRTP(rid, p)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	var track string
	require.Eventually(t, func() bool {
		for _, m := range low.events.all() {
			if m.Type == sfu.TypeTrackPublished {
				track = m.Track.ID
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	mark := func(p *peer) int32 {
		if s := p.recv.get(track); s != nil {
			return s.lastByte.Load()
		}
		return -1
	}
	require.Eventually(t, func() bool { return mark(low) == 2 && mark(high) == 2 }, 10*time.Second, 20*time.Millisecond)

	offer := low.Subscriber().RemoteDescription().SDP
	require.Contains(t, offer, "goog-remb")
	require.Contains(t, offer, "abs-send-time")
	require.NotContains(t, offer, "transport-cc")

	// The low subscriber's receiver estimates 120 kbit/s; high sends 480.
	ssrc := low.recv.get(track).ssrc
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = low.Subscriber().WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{
				SenderSSRC: 1, Bitrate: 120_000, SSRCs: []uint32{ssrc}}})
		}
	}()
	require.Eventually(t, func() bool { v := mark(low); return v == 0 || v == 1 }, 15*time.Second, 20*time.Millisecond,
		"the subscriber that reported 120 kbit/s stayed on the high layer")
	require.Equal(t, int32(2), mark(high))
	require.False(t, strings.Contains(high.Subscriber().RemoteDescription().SDP, "transport-cc"))
}
