package sfu_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
)

func TestSimulcastLayerPerSubscriber(t *testing.T) {
	e := newEnv(t)
	wall := e.join(t, supervisor("user:90"))        // a supervisors' wall: low
	enlarged := e.join(t, evaluator("user:2", "2")) // an enlarged view: high
	pub := e.join(t, evaluator("user:1", "1"))

	pub.sendSimulcast(t, func(l int) int { return 100 + 300*l })
	track := wall.publishedTrack(t, pub.ID())

	wall.onLayer(t, track, 2, 10*time.Second)
	enlarged.onLayer(t, track, 2, 10*time.Second)
	require.NoError(t, wall.Subscribe(track, sfu.LayerLow, false))
	wall.onLayer(t, track, 0, 10*time.Second)
	require.NoError(t, wall.Subscribe(track, sfu.LayerMid, false))
	wall.onLayer(t, track, 1, 10*time.Second)
	require.NoError(t, wall.Subscribe(track, sfu.LayerLow, false))
	wall.onLayer(t, track, 0, 10*time.Second)
	enlarged.onLayer(t, track, 2, 10*time.Second)
	require.NoError(t, enlarged.Subscribe(track, sfu.LayerHigh, false))
	enlarged.onLayer(t, track, 2, 10*time.Second)

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
	wall.onLayer(t, track, 0, 10*time.Second)
}
