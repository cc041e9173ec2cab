package sfu_test

import (
	"context"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
)

// startLossy sends m's tracks like media.start, but leaves every tenth
// video packet out (never a keyframe): a loss the publisher cannot
// repair, since it never sent them.
func startLossy(t *testing.T, m *media) {
	t.Helper()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := uint32(0); ; i++ {
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
			if i%10 != 3 {
				_ = m.video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(i), Timestamp: i * 1800},
					Payload: vp8(i%25 == 0, 7, 300)})
			}
			_ = m.audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: i * 960},
				Payload: []byte{0xf8, 0xff, 0xfe}})
		}
	}()
	t.Cleanup(m.halt)
}

// TestStatsShowWhatIsForwarded publishes a camera and a microphone that
// loses a tenth of its video to an evaluator and a hidden supervisor, and
// reads the SFU's stats: who is there, what is published, the bitrates,
// what each subscriber was sent, and the loss.
func TestStatsShowWhatIsForwarded(t *testing.T) {
	e := newEnv(t)
	sub := e.join(t, evaluator("user:11", "2"))
	sup := e.join(t, supervisor("user:30"))
	pub := e.join(t, evaluator("user:10", "1"))
	m := newMedia(t, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	senders, err := pub.Publish(ctx, m.video, m.audio)
	require.NoError(t, err)
	m.setLevel(senders[1])
	startLossy(t, m)
	sub.receives(t, pub.ID(), false)
	sup.receives(t, pub.ID(), false)

	var st sfu.Stats
	require.Eventually(t, func() bool {
		st = e.srv.Stats()
		if len(st.Sessions) != 1 || st.Sessions[0].ForwardBitrate == 0 {
			return false
		}
		for _, l := range st.Layers {
			if l.Video && l.Expected < 200 {
				return false
			}
		}
		return true
	}, 20*time.Second, 100*time.Millisecond, "bitrates measured and 200 video packets received")
	s := st.Sessions[0]
	require.Equal(t, "1", s.Session)
	require.Equal(t, map[string]int{"evaluator": 2, "supervisor": 1}, s.Participants)
	require.Equal(t, 1, s.Hidden)
	require.Equal(t, 1, s.VideoTracks)
	require.Equal(t, 1, s.AudioTracks)
	require.Positive(t, s.ReceiveBitrate)
	// Both subscribers receive everything published: twice the incoming
	// rate goes out.
	require.InDelta(t, 2*float64(s.ReceiveBitrate), float64(s.ForwardBitrate), 0.3*float64(s.ForwardBitrate))

	require.Len(t, st.Layers, 2)
	for _, l := range st.Layers {
		require.Equal(t, "1", l.Session)
		require.Positive(t, l.Bytes)
		if !l.Video {
			require.Zero(t, l.Expected, "no loss is measured on audio")
			continue
		}
		lost := float64(l.Expected-l.Received) / float64(l.Expected)
		require.InDelta(t, 0.1, lost, 0.02, "a tenth of the video is lost (%d of %d)", l.Expected-l.Received, l.Expected)
	}
	require.Len(t, st.Downs, 4, "camera and microphone to each of two subscribers")
	for _, d := range st.Downs {
		require.Equal(t, "1", d.Session)
		require.Positive(t, d.Packets)
		require.Positive(t, d.Bytes)
	}
}
