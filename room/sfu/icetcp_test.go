package sfu_test

import (
	"net"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
)

func TestICETCPForStrictFirewalls(t *testing.T) {
	e := newEnv(t, func(p *sfu.Params) {
		p.ICE.TCPAddr = "127.0.0.1:0"
		p.ConfigureSettingEngine = func(se *webrtc.SettingEngine) {
			loopback(se)
			se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
		}
	})
	// Clients that can only speak TCP.
	e.client.ConfigureSettingEngine = func(se *webrtc.SettingEngine) {
		se.SetIncludeLoopbackCandidate(true)
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	sub := e.join(t, evaluator("user:2", "2"))
	pub := e.join(t, evaluator("user:1", "1"))
	m := newMedia(t, "a")
	pub.publish(t, m)
	sub.receives(t, pub.ID(), false)
}

func TestSingleUDPPortForAllPeers(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	e := newEnv(t, func(p *sfu.Params) { p.ICE.UDPConn = conn })
	sub := e.join(t, evaluator("user:2", "2"))
	pub := e.join(t, evaluator("user:1", "1"))
	m := newMedia(t, "a")
	pub.publish(t, m)
	sub.receives(t, pub.ID(), false)
	// Every selected pair on the server side uses the one socket.
	port := conn.LocalAddr().(*net.UDPAddr).Port
	for _, pc := range []*webrtc.PeerConnection{sub.Subscriber(), pub.Publisher()} {
		pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		require.NoError(t, err)
		require.Equal(t, uint16(port), pair.Remote.Port)
	}
}
