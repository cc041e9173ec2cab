package udpbatch_test

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room/sfu/udpbatch"
	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// peer builds a PeerConnection on loopback, through udpMux if given,
// with pion's default codecs and interceptors (as an SFU has).
func peer(t testing.TB, udpMux ice.UDPMux) *webrtc.PeerConnection {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	if udpMux != nil {
		se.SetICEUDPMux(udpMux)
	}
	m := &webrtc.MediaEngine{}
	require.NoError(t, m.RegisterDefaultCodecs())
	// Without an interceptor registry NewAPI registers the default
	// interceptors.
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).
		NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	return pc
}

// sendAndCount adds a VP8 track to from and counts the packets to receives.
func sendAndCount(t *testing.T, from, to *webrtc.PeerConnection, id string) (*webrtc.TrackLocalStaticRTP, *atomic.Int64) {
	t.Helper()
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, id, id)
	require.NoError(t, err)
	_, err = from.AddTrack(track)
	require.NoError(t, err)
	var got atomic.Int64
	to.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			got.Add(1)
		}
	})
	return track, &got
}

func TestPionUDPMuxOverBatchedConn(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	sock, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	batched, err := udpbatch.New(sock)
	require.NoError(t, err)
	udpMux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: batched})

	server := peer(t, udpMux) // the SFU side: every peer on one port
	client := peer(t, nil)
	down, downGot := sendAndCount(t, server, client, "down")
	up, upGot := sendAndCount(t, client, server, "up")

	offer, err := client.CreateOffer(nil)
	require.NoError(t, err)
	gathered := webrtc.GatheringCompletePromise(client)
	require.NoError(t, client.SetLocalDescription(offer))
	<-gathered
	require.NoError(t, server.SetRemoteDescription(*client.LocalDescription()))
	answer, err := server.CreateAnswer(nil)
	require.NoError(t, err)
	gathered = webrtc.GatheringCompletePromise(server)
	require.NoError(t, server.SetLocalDescription(answer))
	<-gathered
	require.NoError(t, client.SetRemoteDescription(*server.LocalDescription()))

	// Send until both sides have received 50 packets (or 20 s pass).
	deadline := time.Now().Add(20 * time.Second)
	var seq uint16
	for (downGot.Load() < 50 || upGot.Load() < 50) && time.Now().Before(deadline) {
		seq++
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
			Timestamp: uint32(seq) * 3000, Marker: true}, Payload: []byte{0x10, 0, 0, 0, 1, 2, 3}}
		require.NoError(t, down.WriteRTP(pkt))
		require.NoError(t, up.WriteRTP(pkt))
		time.Sleep(5 * time.Millisecond)
	}
	require.GreaterOrEqual(t, downGot.Load(), int64(50), "RTP sent through the batched mux arrived")
	require.GreaterOrEqual(t, upGot.Load(), int64(50), "RTP read through the batched mux arrived")
	require.Greater(t, batched.Stats().Packets, uint64(50))

	require.NoError(t, client.Close())
	require.NoError(t, server.Close())
	require.NoError(t, udpMux.Close()) // closes batched, which closes sock
	_, err = batched.WriteTo([]byte("x"), sock.LocalAddr())
	require.ErrorIs(t, err, net.ErrClosed)
}
