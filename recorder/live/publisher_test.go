package live_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/evalroom/evalroom/media/clock"
	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/recorder/live"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestFramesOfEveryTrackArriveIntact publishes H.264, VP8 and Opus to a
// pion WHIP server, which depacketises them: every frame it gets is one
// the encoder wrote, byte for byte, video starting with a keyframe. The
// server's keyframe request reaches OnKeyframe and its NACK brings the
// packet again.
func TestFramesOfEveryTrackArriveIntact(t *testing.T) {
	srv := newWHIPServer(t)
	r := startRig(t, srv, rigOptions{})
	r.waitFrames(t, 1, 20)
	r.checkIntact(t)
	st := r.pub.Status()
	require.True(t, st.Connected)
	require.Positive(t, st.Sent)
	require.Positive(t, r.enc.keyframesAsked("cam1"), "a keyframe asked for when the connection came up")

	asked := r.enc.keyframesAsked("cam1")
	require.NoError(t, srv.rtcp("cam1", func(ssrc uint32) rtcp.Packet { return &rtcp.PictureLossIndication{MediaSSRC: ssrc} }))
	require.Eventually(t, func() bool { return r.enc.keyframesAsked("cam1") > asked }, 10*time.Second, 10*time.Millisecond)
	asked = r.enc.keyframesAsked("cam2")
	require.NoError(t, srv.rtcp("cam2", func(ssrc uint32) rtcp.Packet {
		return &rtcp.FullIntraRequest{MediaSSRC: ssrc, FIR: []rtcp.FIREntry{{SSRC: ssrc, SequenceNumber: 1}}}
	}))
	require.Eventually(t, func() bool { return r.enc.keyframesAsked("cam2") > asked }, 10*time.Second, 10*time.Millisecond)

	srv.mu.Lock()
	var seq uint16
	for s := range srv.seqSeen["cam1"] {
		seq = s
		break
	}
	srv.mu.Unlock()
	require.NoError(t, srv.rtcp("cam1", func(ssrc uint32) rtcp.Packet {
		return &rtcp.TransportLayerNack{MediaSSRC: ssrc, Nacks: []rtcp.NackPair{{PacketID: seq}}}
	}))
	require.Eventually(t, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.seqSeen["cam1"][seq] >= 2
	}, 10*time.Second, 10*time.Millisecond, "packet %d sent again after the NACK", seq)

	require.ErrorIs(t, r.stop(), context.Canceled)
	r.checkIntact(t)
}

// recordingClock is the recorder's corrected clock, 5 s ahead of the
// host's, remembering every reading.
type recordingClock struct {
	mu    sync.Mutex
	reads []time.Time
}

func (c *recordingClock) Now() time.Time {
	now := time.Now().Add(5 * time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads = append(c.reads, now)
	return now
}

func (c *recordingClock) read(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.reads {
		if d := r.Sub(t); d < time.Microsecond && d > -time.Microsecond {
			return true
		}
	}
	return false
}

// TestSenderReportsCarryTheCorrectedClock runs the recorder's clock 5 s
// ahead of the host's: each Sender Report states an instant read from
// that clock (not the host's), and the mapping it gives turns every
// frame's RTP timestamp back into the UTC the frame was written with.
func TestSenderReportsCarryTheCorrectedClock(t *testing.T) {
	srv := newWHIPServer(t)
	clk := &recordingClock{}
	skewed := func() time.Time { return time.Now().Add(5 * time.Second) }
	r := startRig(t, srv, rigOptions{now: clk.Now, frameNow: skewed})
	require.Eventually(t, func() bool {
		for _, tr := range allTracks {
			if len(srv.reportsOf(tr.ID)) < 2 {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond)
	require.ErrorIs(t, r.stop(), context.Canceled)

	for _, tr := range allTracks {
		reports := srv.reportsOf(tr.ID)
		frames := srv.framesOf(tr.ID, 1)
		require.NotEmpty(t, frames)
		for _, rep := range reports {
			at := clock.FromNTP(rep.sr.NTPTime)
			require.True(t, clk.read(at), "track %s: the report's instant %s was read from the corrected clock", tr.ID, at)
			require.Greater(t, at.Sub(rep.host), 4*time.Second, "track %s: the report is on the skewed clock", tr.ID)
			require.Positive(t, rep.sr.PacketCount)
			require.Positive(t, rep.sr.OctetCount)
			m, err := clock.MappingFromSR(tr.Codec.ClockRate(), rep.sr.NTPTime, rep.sr.RTPTime)
			require.NoError(t, err)
			for _, f := range frames {
				w, ok := r.enc.lookup(tr.ID, f.data)
				require.True(t, ok)
				require.WithinDuration(t, w.utc, m.Time(f.ts), time.Millisecond, "track %s", tr.ID)
			}
		}
	}
}

// TestReconnectsAfterTheServerDropsTheConnection: the server closes its
// side without a word; the publisher notices (ICE fails), fetches a new
// endpoint, connects again and asks for keyframes, and the frames flow
// again, intact, video from a keyframe.
func TestReconnectsAfterTheServerDropsTheConnection(t *testing.T) {
	srv := newWHIPServer(t)
	se := loopback()
	se.SetICETimeouts(300*time.Millisecond, 600*time.Millisecond, 100*time.Millisecond)
	r := startRig(t, srv, rigOptions{se: se})
	r.waitFrames(t, 1, 10)
	require.EqualValues(t, 1, r.endpoints.Load())
	asked := r.enc.keyframesAsked("cam1")

	srv.dropAll()
	r.waitFrames(t, 2, 10)
	require.GreaterOrEqual(t, r.endpoints.Load(), int32(2), "a fresh Endpoint call before reconnecting")
	require.Greater(t, r.enc.keyframesAsked("cam1"), asked, "a keyframe asked for on the new connection")
	require.Greater(t, r.enc.keyframesAsked("cam2"), asked)
	st := r.pub.Status()
	require.True(t, st.Connected)
	require.GreaterOrEqual(t, st.Reconnects, 1)
	require.Contains(t, st.LastError, "connection lost")
	r.checkIntact(t)
	require.ErrorIs(t, r.stop(), context.Canceled)
}

// TestWriteWhileDisconnectedDropsAndCounts: with no connection, Write
// returns at once, counts every frame as dropped and asks for a
// keyframe once per video track.
func TestWriteWhileDisconnectedDropsAndCounts(t *testing.T) {
	enc := newEncoder(allTracks, time.Now)
	pub, err := live.New(live.Params{Tracks: allTracks, OnKeyframe: enc.onKeyframe,
		Endpoint: func(context.Context) (live.Endpoint, error) { return live.Endpoint{}, nil }})
	require.NoError(t, err)
	for i := range 10000 {
		tr := allTracks[i%len(allTracks)]
		pub.Write(tr.ID, frame.Frame{UTC: time.Now(), Data: []byte{1, 2, 3}, Key: i%90 == 0})
	}
	pub.Write("cam9", frame.Frame{UTC: time.Now(), Data: []byte{1}})
	st := pub.Status()
	require.EqualValues(t, 10001, st.Dropped)
	require.Zero(t, st.Sent)
	require.False(t, st.Connected)
	require.Equal(t, 1, enc.keyframesAsked("cam1"))
	require.Equal(t, 1, enc.keyframesAsked("cam2"))
	require.Zero(t, enc.keyframesAsked("mic"))
}

// TestRunReturnsAfterCancelAndLeavesNothing: cancelling Run deletes the
// WHIP resource, returns ctx's error and leaves no goroutine behind.
func TestRunReturnsAfterCancelAndLeavesNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := newWHIPServer(t)
	defer srv.Close()
	r := startRig(t, srv, rigOptions{})
	r.waitFrames(t, 1, 5)
	require.ErrorIs(t, r.stop(), context.Canceled)
	conns, deletes := srv.counts()
	require.Equal(t, 1, conns)
	require.Equal(t, 1, deletes, "the WHIP resource was deleted")
	require.False(t, r.pub.Status().Connected)
	srv.hs.Client().CloseIdleConnections()
}

// TestRefusedTokenIsReportedAndBackedOff: a WHIP endpoint answering 401
// leaves its message in LastError, and the waits between attempts double
// from BackoffMin up to BackoffMax, jittered.
func TestRefusedTokenIsReportedAndBackedOff(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := newWHIPServer(t)
	defer srv.Close()
	var mu sync.Mutex
	var waits []time.Duration
	var failures []error
	calls := 0
	pub, err := live.New(live.Params{
		Tracks: allTracks,
		Endpoint: func(context.Context) (live.Endpoint, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			return live.Endpoint{URL: srv.url(), Token: "expired"}, nil
		},
		OnFailure: func(err error) {
			mu.Lock()
			failures = append(failures, err)
			mu.Unlock()
		},
		BackoffMin: 100 * time.Millisecond, BackoffMax: 400 * time.Millisecond,
		After: func(d time.Duration) <-chan time.Time {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			ch := make(chan time.Time, 1)
			ch <- time.Now()
			return ch
		},
		SettingEngine: loopback(), HTTP: srv.hs.Client(),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- pub.Run(ctx) }()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(waits) >= 5
	}, 20*time.Second, 10*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	st := pub.Status()
	require.False(t, st.Connected)
	require.Contains(t, st.LastError, "401")
	require.Contains(t, st.LastError, "需要媒体令牌")
	require.GreaterOrEqual(t, st.Reconnects, 4)
	require.True(t, strings.HasPrefix(st.LastError, "WHIP offer"), st.LastError)
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, calls, 5, "a fresh Endpoint call for every attempt")
	require.Len(t, failures, len(waits))
	for _, err := range failures {
		require.ErrorIs(t, err, live.ErrUnauthorized)
	}
	bounds := []time.Duration{100, 200, 400, 400, 400}
	for i, b := range bounds {
		b *= time.Millisecond
		require.LessOrEqual(t, waits[i], b, "wait %d", i)
		require.GreaterOrEqual(t, waits[i], b/2, "wait %d", i)
	}
	srv.hs.Client().CloseIdleConnections()
}

func TestRunTwiceIsRefused(t *testing.T) {
	block := make(chan struct{})
	pub, err := live.New(live.Params{Tracks: allTracks, Endpoint: func(ctx context.Context) (live.Endpoint, error) {
		close(block)
		<-ctx.Done()
		return live.Endpoint{}, ctx.Err()
	}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- pub.Run(ctx) }()
	<-block
	require.ErrorIs(t, pub.Run(ctx), live.ErrRunning)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestNewChecksParams(t *testing.T) {
	ep := func(context.Context) (live.Endpoint, error) { return live.Endpoint{}, nil }
	tests := []struct {
		name string
		p    live.Params
		want error
	}{
		{"no tracks", live.Params{Endpoint: ep}, live.ErrMissingParam},
		{"no endpoint", live.Params{Tracks: allTracks}, live.ErrMissingParam},
		{"track without ID", live.Params{Tracks: []live.Track{{Codec: frame.H264}}, Endpoint: ep}, live.ErrInvalidParam},
		{"duplicate track", live.Params{Tracks: []live.Track{{ID: "a", Codec: frame.H264}, {ID: "a", Codec: frame.Opus}}, Endpoint: ep},
			live.ErrInvalidParam},
		{"unknown codec", live.Params{Tracks: []live.Track{{ID: "a", Codec: "av1"}}, Endpoint: ep}, live.ErrInvalidParam},
		{"negative queue", live.Params{Tracks: allTracks, Endpoint: ep, Queue: -1}, live.ErrInvalidParam},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := live.New(tc.p)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// TestFollowsRedirectsWithTheToken: a node that does not host the
// session answers 307; the publisher posts the offer again, token
// included, to the node that does.
func TestFollowsRedirectsWithTheToken(t *testing.T) {
	srv := newWHIPServer(t)
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.url(), http.StatusTemporaryRedirect)
	}))
	defer moved.Close()
	enc := newEncoder(allTracks, time.Now)
	pub, err := live.New(live.Params{Tracks: allTracks, OnKeyframe: enc.onKeyframe, SettingEngine: loopback(),
		Endpoint: func(context.Context) (live.Endpoint, error) {
			return live.Endpoint{URL: moved.URL + "/whip", Token: "good"}, nil
		}})
	require.NoError(t, err)
	enc.pub = pub
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- pub.Run(ctx) }()
	require.Eventually(t, func() bool { return pub.Status().Connected }, 20*time.Second, 10*time.Millisecond, pub.Status().LastError)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	conns, deletes := srv.counts()
	require.Equal(t, 1, conns)
	require.Equal(t, 1, deletes)
}

// TestOtherRefusalsAreErrRefused: a WHIP endpoint that cannot take the
// offer (503) fails the attempt with ErrRefused and its message.
func TestOtherRefusalsAreErrRefused(t *testing.T) {
	srv := newWHIPServer(t)
	srv.refuse.Store(http.StatusServiceUnavailable)
	failed := make(chan error, 1)
	pub, err := live.New(live.Params{Tracks: allTracks, SettingEngine: loopback(), HTTP: srv.hs.Client(),
		Endpoint: func(context.Context) (live.Endpoint, error) { return live.Endpoint{URL: srv.url(), Token: "good"}, nil },
		OnFailure: func(err error) {
			select {
			case failed <- err:
			default:
			}
		}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- pub.Run(ctx) }()
	err = <-failed
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.ErrorIs(t, err, live.ErrRefused)
	require.Contains(t, err.Error(), "服务暂不可用")
	require.Contains(t, pub.Status().LastError, "503")
}
