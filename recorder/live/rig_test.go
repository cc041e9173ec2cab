package live_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/recorder/live"
)

var allTracks = []live.Track{{ID: "cam1", Codec: frame.H264}, {ID: "cam2", Codec: frame.VP8}, {ID: "mic", Codec: frame.Opus}}

// rig runs a publisher against a server with an encoder feeding it.
type rig struct {
	srv       *whipServer
	pub       *live.Publisher
	enc       *encoder
	endpoints atomic.Int32
	cancel    context.CancelFunc
	runErr    chan error
	stopEnc   context.CancelFunc
	encDone   chan struct{}
}

type rigOptions struct {
	now      func() time.Time // the publisher's clock
	frameNow func() time.Time // the encoder's clock (default now)
	se       *webrtc.SettingEngine
	token    string
}

func startRig(t *testing.T, srv *whipServer, o rigOptions) *rig {
	t.Helper()
	if o.now == nil {
		o.now = time.Now
	}
	if o.frameNow == nil {
		o.frameNow = o.now
	}
	if o.se == nil {
		o.se = loopback()
	}
	if o.token == "" {
		o.token = "good"
	}
	r := &rig{srv: srv, runErr: make(chan error, 1), encDone: make(chan struct{})}
	r.enc = newEncoder(allTracks, o.frameNow)
	pub, err := live.New(live.Params{
		Tracks: allTracks,
		Endpoint: func(context.Context) (live.Endpoint, error) {
			r.endpoints.Add(1)
			return live.Endpoint{URL: srv.url(), Token: o.token}, nil
		},
		Now:           o.now,
		OnKeyframe:    r.enc.onKeyframe,
		BackoffMin:    20 * time.Millisecond,
		BackoffMax:    100 * time.Millisecond,
		SettingEngine: o.se,
		HTTP:          srv.hs.Client(),
	})
	require.NoError(t, err)
	r.pub, r.enc.pub = pub, pub
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.runErr <- pub.Run(ctx) }()
	ectx, stop := context.WithCancel(context.Background())
	r.stopEnc = stop
	go func() {
		defer close(r.encDone)
		r.enc.run(ectx)
	}()
	t.Cleanup(func() { _ = r.stop() })
	return r
}

// stop stops the encoder and the publisher and returns Run's error.
func (r *rig) stop() error {
	if r.cancel == nil {
		return nil
	}
	r.stopEnc()
	<-r.encDone
	r.cancel()
	r.cancel = nil
	return <-r.runErr
}

// waitFrames waits until every track has at least n frames from
// connection conn (0: any).
func (r *rig) waitFrames(t *testing.T, conn, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, tr := range allTracks {
			if len(r.srv.framesOf(tr.ID, conn)) < n {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond, "frames of connection %d", conn)
}

// checkIntact asserts that every frame the server reassembled is a frame
// the encoder wrote, byte for byte, and that each connection's video
// starts with a keyframe.
func (r *rig) checkIntact(t *testing.T) {
	t.Helper()
	for _, tr := range allTracks {
		firstOfConn := map[int]bool{}
		for _, f := range r.srv.framesOf(tr.ID, 0) {
			w, ok := r.enc.lookup(tr.ID, f.data)
			require.True(t, ok, "track %s: a received frame (%d bytes) was never written: %x…", tr.ID, len(f.data),
				f.data[:min(16, len(f.data))])
			if !firstOfConn[f.conn] {
				firstOfConn[f.conn] = true
				require.True(t, w.key, "track %s: connection %d starts without a keyframe", tr.ID, f.conn)
			}
		}
	}
}
