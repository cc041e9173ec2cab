package sfu_test

import (
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/evalroom/evalroom/room/sfu"
)

func TestPublisherReachesSubscribersRenegotiatesAndLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e := newEnv(t)

	subs := []*peer{
		e.join(t, evaluator("user:11", "2")),
		e.join(t, evaluator("user:12", "2")),
		e.join(t, evaluator("user:13", "3")),
	}
	pub := e.join(t, evaluator("user:10", "1"))
	require.Len(t, pub.Joined().Participants, 3, "the publisher sees the three who joined before")
	m1 := newMedia(t, "a")
	pub.publish(t, m1)
	for _, s := range subs {
		s.receives(t, pub.ID(), false)
	}

	// The publisher's audio is loud: everyone hears it is speaking.
	require.Eventually(t, func() bool {
		return subs[0].events.has(func(m sfu.Message) bool {
			return m.Type == sfu.TypeSpeaking && m.Speaking && m.Participant.ID == pub.ID()
		})
	}, 10*time.Second, 50*time.Millisecond)

	// A second publisher: its tracks reach everyone through renegotiation.
	pub2 := e.join(t, evaluator("user:20", "3"))
	pub2.receives(t, pub.ID(), false)
	m2 := newMedia(t, "b")
	pub2.publish(t, m2)
	for _, s := range append(subs, pub) {
		s.receives(t, pub2.ID(), false)
	}
	require.True(t, subs[0].events.has(func(m sfu.Message) bool {
		return m.Type == sfu.TypeTrackPublished && m.Track.Participant == pub2.ID()
	}))

	// Leave and rejoin.
	require.NoError(t, subs[1].Leave())
	require.Eventually(t, func() bool {
		return subs[0].events.has(func(m sfu.Message) bool {
			return m.Type == sfu.TypeParticipantLeft && m.Participant.ID == subs[1].ID()
		})
	}, 5*time.Second, 20*time.Millisecond)
	again := e.join(t, evaluator("user:12", "2"))
	require.Len(t, again.Joined().Tracks, 4)
	again.receives(t, pub.ID(), false)
	again.receives(t, pub2.ID(), false)
	require.Len(t, e.srv.Participants("1"), 5)

	// The publisher leaves: its tracks are withdrawn.
	m1.halt()
	require.NoError(t, pub.Leave())
	require.Eventually(t, func() bool {
		return again.events.has(func(m sfu.Message) bool {
			return m.Type == sfu.TypeTrackUnpublished && m.Track.Participant == pub.ID()
		})
	}, 5*time.Second, 20*time.Millisecond)
	again.receives(t, pub2.ID(), true)

	m2.halt()
	for _, p := range []*peer{subs[0], subs[2], pub2, again} {
		require.NoError(t, p.Leave())
	}
	require.Eventually(t, func() bool { return e.srv.Participants("1") == nil }, 5*time.Second, 20*time.Millisecond)
	require.Len(t, e.audit.find("media.join", "user:12"), 2)
	require.Len(t, e.audit.find("media.leave", "user:12"), 2)
	e.close()
}

func TestSenderReportsCarryThePublishersClock(t *testing.T) {
	e := newEnv(t)
	sub := e.join(t, evaluator("user:2", "2"))
	pub := e.join(t, evaluator("user:1", "1"))
	m := newMedia(t, "a")
	pub.publish(t, m)
	sub.receives(t, pub.ID(), false)
	v := sub.recv.fromPublisher(pub.ID(), webrtc.RTPCodecTypeVideo)
	var reports []rtcp.SenderReport
	require.Eventually(t, func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		reports = append(reports[:0], v.reports...)
		return len(reports) >= 2
	}, 15*time.Second, 50*time.Millisecond, "no sender reports for the received track")
	// The forwarded mapping follows the publisher's media clock: RTP time
	// advances 90 000 per second of NTP time between two reports.
	first, last := reports[0], reports[len(reports)-1]
	ntpSeconds := float64(last.NTPTime-first.NTPTime) / (1 << 32)
	rtpSeconds := float64(last.RTPTime-first.RTPTime) / 90000
	require.Greater(t, ntpSeconds, 0.5)
	require.InDelta(t, ntpSeconds, rtpSeconds, 0.1*ntpSeconds)
	require.NotZero(t, last.PacketCount)
	wall := time.Unix(int64(last.NTPTime>>32)-2208988800, 0)
	require.WithinDuration(t, time.Now(), wall, time.Minute, "NTP time is the publisher's wall clock")
}
