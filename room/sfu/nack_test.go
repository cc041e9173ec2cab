package sfu_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v4/vnet"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
)

// vnetOn keeps a peer's ICE on a pion virtual network.
func vnetOn(n *vnet.Net) func(*webrtc.SettingEngine) {
	return func(se *webrtc.SettingEngine) {
		se.SetNet(n)
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	}
}

func TestNACKRecoversLostPackets(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: induced loss")
	}
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	require.NoError(t, err)
	netFor := func(ip string) *vnet.Net {
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
		require.NoError(t, err)
		require.NoError(t, router.AddNet(n))
		return n
	}
	srvNet, pubNet, subNet := netFor("10.0.0.1"), netFor("10.0.0.2"), netFor("10.0.0.3")
	// Drop every tenth video RTP packet (SRTP keeps the RTP header in the
	// clear; RTCP payload types 72-79 and DTLS/STUN pass), both ways.
	var seen, dropped atomic.Int64
	router.AddChunkFilter(func(c vnet.Chunk) bool {
		b := c.UserData()
		if len(b) > 200 && b[0]&0xc0 == 0x80 && (b[1]&0x7f < 64 || b[1]&0x7f > 95) && seen.Add(1)%10 == 0 {
			dropped.Add(1)
			return false
		}
		return true
	})
	require.NoError(t, router.Start())
	defer func() { _ = router.Stop() }()

	e := newEnv(t, func(p *sfu.Params) {
		p.ConfigureSettingEngine = vnetOn(srvNet)
		p.ICE.IncludeLoopback = false
	})
	pubOpts, subOpts := e.client, e.client
	pubOpts.ConfigureSettingEngine, subOpts.ConfigureSettingEngine = vnetOn(pubNet), vnetOn(subNet)
	sub, err := e.joinWith(t, e.ws, evaluator("user:2", "2"), subOpts)
	require.NoError(t, err)
	pub, err := e.joinWith(t, e.ws, evaluator("user:1", "1"), pubOpts)
	require.NoError(t, err)
	m := newMedia(t, "a")
	pub.publish(t, m)
	sub.receives(t, pub.ID(), false)
	require.Eventually(t, func() bool { return m.sent.Load() >= 200 }, 20*time.Second, 20*time.Millisecond)
	m.halt()
	require.Greater(t, dropped.Load(), int64(15), "the network lost packets")

	v := sub.recv.fromPublisher(pub.ID(), webrtc.RTPCodecTypeVideo)
	holes := func() (missing []uint16, span int) {
		v.mu.Lock()
		defer v.mu.Unlock()
		var lo, hi uint16
		first := true
		for s := range v.seqs {
			if first || int16(s-lo) < 0 {
				lo = s
			}
			if first || int16(s-hi) > 0 {
				hi = s
			}
			first = false
		}
		for s := lo; s != hi-5; s++ {
			if !v.seqs[s] {
				missing = append(missing, s)
			}
		}
		return missing, int(hi - lo)
	}
	require.Eventually(t, func() bool { missing, _ := holes(); return len(missing) == 0 }, 5*time.Second, 100*time.Millisecond,
		"NACK did not recover every lost packet")
	_, span := holes()
	require.Greater(t, span, 100, "most of the stream arrived")
}
