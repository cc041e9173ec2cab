package sfu_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
)

func TestSimulcastLayerPerSubscriber(t *testing.T) {
	e := newEnv(t)
	wall := e.join(t, supervisor("user:90"))        // a supervisors' wall: low
	enlarged := e.join(t, evaluator("user:2", "2")) // an enlarged view: high
	pub := e.join(t, evaluator("user:1", "1"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rids := []string{"low", "mid", "high"}
	sc, err := pub.PublishSimulcast(ctx, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "cam", "s", rids...)
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
				p := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(i), Timestamp: i * 1800},
					Payload: vp8(i%10 == 0, byte(l), 100+300*l)}
				_ = sc.WriteRTP(rid, p)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	var track string
	require.Eventually(t, func() bool {
		for _, m := range wall.events.all() {
			if m.Type == sfu.TypeTrackPublished && m.Track.Participant == pub.ID() {
				track = m.Track.ID
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)

	layerIs := func(p *peer, want int32) {
		t.Helper()
		require.Eventually(t, func() bool {
			s := p.recv.get(track)
			return s != nil && s.lastByte.Load() == want
		}, 10*time.Second, 20*time.Millisecond, "layer %d never arrived", want)
	}
	layerIs(wall, 2)
	layerIs(enlarged, 2)
	require.NoError(t, wall.Subscribe(track, sfu.LayerLow, false))
	layerIs(wall, 0)
	require.NoError(t, wall.Subscribe(track, sfu.LayerMid, false))
	layerIs(wall, 1)
	require.NoError(t, wall.Subscribe(track, sfu.LayerLow, false))
	layerIs(wall, 0)
	layerIs(enlarged, 2)
	require.NoError(t, enlarged.Subscribe(track, sfu.LayerHigh, false))
	layerIs(enlarged, 2)

	// One continuous stream per subscriber across the switches.
	s := wall.recv.get(track)
	s.mu.Lock()
	n := len(s.seqs)
	s.mu.Unlock()
	require.Greater(t, n, 20)

	// An unknown track is a recoverable error.
	require.NoError(t, wall.Subscribe("TR_nope", sfu.LayerLow, false))
	require.Eventually(t, func() bool {
		return wall.events.has(func(m sfu.Message) bool { return m.Type == sfu.TypeError && m.Recoverable })
	}, 5*time.Second, 20*time.Millisecond)
	layerIs(wall, 0)
}
