package sfu_test

import (
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v4/vnet"
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

	// Layers of about 50, 200 and 600 kbit/s.
	sizes := []int{120, 500, 1200}
	pub.sendSimulcast(t, func(l int) int { return sizes[l] })
	track := fast.publishedTrack(t, pub.ID())
	fast.onLayer(t, track, 2, 10*time.Second)
	// Both asked for high; the narrow link cannot carry it.
	require.Eventually(t, func() bool { v := slow.layer(track); return v == 0 || v == 1 }, 30*time.Second, 50*time.Millisecond,
		"the congested subscriber stayed on the high layer")
	fast.onLayer(t, track, 2, 5*time.Second)
}
