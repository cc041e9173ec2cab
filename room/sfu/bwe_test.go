package sfu_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/transport/v4/vnet"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
)

func TestCongestedSubscriberDropsToALowerLayer(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: bandwidth estimation over a narrow link")
	}
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.1.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	require.NoError(t, err)
	netFor := func(ip string) *vnet.Net {
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
		require.NoError(t, err)
		return n
	}
	srvNet, pubNet, fastNet, slowNet := netFor("10.0.1.1"), netFor("10.0.1.2"), netFor("10.0.1.3"), netFor("10.0.1.4")
	for _, n := range []*vnet.Net{srvNet, pubNet, fastNet} {
		require.NoError(t, router.AddNet(n))
	}
	// The slow subscriber's downlink carries 300 kbit/s.
	narrow, err := vnet.NewQueue(slowNet, vnet.NewTBFQueue(300_000, 4*1500, 40*1500))
	require.NoError(t, err)
	require.NoError(t, router.AddNet(narrow))
	require.NoError(t, router.Start())
	defer func() { _ = router.Stop(); _ = narrow.Close() }()

	e := newEnv(t, func(p *sfu.Params) {
		p.ConfigureSettingEngine = vnetOn(srvNet)
		p.ICE.IncludeLoopback = false
	})
	opts := func(n *vnet.Net) (o sfuclient.Options) {
		o = e.client
		o.ConfigureSettingEngine = vnetOn(n)
		return o
	}
	fast, err := e.joinWith(t, e.ws, evaluator("user:2", "2"), opts(fastNet))
	require.NoError(t, err)
	slow, err := e.joinWith(t, e.ws, evaluator("user:3", "3"), opts(slowNet))
	require.NoError(t, err)
	pub, err := e.joinWith(t, e.ws, evaluator("user:1", "1"), opts(pubNet))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rids := []string{"low", "mid", "high"}
	sc, err := pub.PublishSimulcast(ctx, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "cam", "s", rids...)
	require.NoError(t, err)
	// Layers of about 50, 200 and 600 kbit/s.
	sizes := []int{120, 500, 1200}
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
					Payload: vp8(i%10 == 0, byte(l), sizes[l])}
				_ = sc.WriteRTP(rid, p)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	var track string
	require.Eventually(t, func() bool {
		for _, m := range fast.events.all() {
			if m.Type == sfu.TypeTrackPublished {
				track = m.Track.ID
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	layerIs := func(p *peer, want int32, within time.Duration) {
		t.Helper()
		require.Eventually(t, func() bool {
			s := p.recv.get(track)
			return s != nil && s.lastByte.Load() == want
		}, within, 20*time.Millisecond, "layer %d never arrived", want)
	}
	layerIs(fast, 2, 10*time.Second)
	// Both asked for high; the narrow link cannot carry it.
	s := func() int32 {
		st := slow.recv.get(track)
		if st == nil {
			return -1
		}
		return st.lastByte.Load()
	}
	require.Eventually(t, func() bool { v := s(); return v == 0 || v == 1 }, 30*time.Second, 50*time.Millisecond,
		"the congested subscriber stayed on the high layer")
	layerIs(fast, 2, 5*time.Second)
}
