package udpbatch_test

import (
	"fmt"
	"net"

	"github.com/evalroom/evalroom/room/sfu/udpbatch"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// An SFU serves every PeerConnection on one UDP port through pion's
// UDPMux, with the port's writes batched.
func Example_udpMux() {
	sock, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	batched, err := udpbatch.New(sock)
	if err != nil {
		fmt.Println(err)
		return
	}
	udpMux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: batched})
	defer udpMux.Close() // closes batched and sock

	var se webrtc.SettingEngine
	se.SetICEUDPMux(udpMux)
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	_ = api // api.NewPeerConnection(...) for every participant

	// After writing one incoming packet to every subscriber's track,
	// send them all with one system call:
	if err := batched.Flush(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("ok")
	// Output: ok
}
