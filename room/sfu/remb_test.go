package sfu_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/stretchr/testify/require"
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

	pub.sendSimulcast(t, func(l int) int { return []int{120, 500, 1200}[l] })
	require.Contains(t, pub.Publisher().RemoteDescription().SDP, "transport-cc", "publishers keep their own estimate")
	track := low.publishedTrack(t, pub.ID())
	require.Eventually(t, func() bool { return low.layer(track) == 2 && high.layer(track) == 2 }, 10*time.Second, 20*time.Millisecond)

	offer := low.Subscriber().RemoteDescription().SDP
	require.Contains(t, offer, "goog-remb")
	require.Contains(t, offer, "abs-send-time")
	require.NotContains(t, offer, "transport-cc")

	// The low subscriber's receiver estimates 120 kbit/s; high sends 480.
	ssrc := low.recv.get(track).ssrc
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
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
	require.Eventually(t, func() bool { v := low.layer(track); return v == 0 || v == 1 }, 15*time.Second, 20*time.Millisecond,
		"the subscriber that reported 120 kbit/s stayed on the high layer")
	require.Equal(t, int32(2), high.layer(track))
	require.False(t, strings.Contains(high.Subscriber().RemoteDescription().SDP, "transport-cc"))
}
