package udpbatch_test

import (
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room/sfu/udpbatch"
	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPionFanout forwards one 1,100-byte RTP packet to N subscribers
// through pion's whole write path (interceptors, SRTP, ICE, UDPMux) on
// one socket, plain or batched with a Flush after each fan-out. The
// subscribers are pion peers in the same process, so "cpu-µs/pkt" (the
// process's CPU per forwarded packet) includes their receive path too;
// the difference between the two is what batching saves the sender.
// Sends are paced so that every packet is delivered ("delivered" ≈ 1);
// ns/op is therefore not a speed.
func BenchmarkPionFanout(b *testing.B) {
	const n = 10
	for _, batched := range []bool{false, true} {
		name := "plain"
		if batched {
			name = "batched"
		}
		b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
			sock, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			var conn net.PacketConn = sock
			var bc *udpbatch.Conn
			if batched {
				if bc, err = udpbatch.New(sock); err != nil {
					b.Fatal(err)
				}
				conn = bc
			}
			udpMux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn})
			defer udpMux.Close()
			var tracks []*webrtc.TrackLocalStaticRTP
			var got atomic.Int64
			ready := make(chan struct{}, n)
			for i := range n {
				srv, cli := peer(b, udpMux), peer(b, nil)
				defer srv.Close()
				defer cli.Close()
				tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", fmt.Sprint(i))
				if err != nil {
					b.Fatal(err)
				}
				sender, err := srv.AddTrack(tr)
				if err != nil {
					b.Fatal(err)
				}
				go func() {
					for {
						if _, _, err := sender.ReadRTCP(); err != nil {
							return
						}
					}
				}()
				tracks = append(tracks, tr)
				cli.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
					ready <- struct{}{}
					buf := make([]byte, 1500)
					for {
						if _, _, err := t.Read(buf); err != nil {
							return
						}
						got.Add(1)
					}
				})
				offer, _ := srv.CreateOffer(nil)
				g := webrtc.GatheringCompletePromise(srv)
				_ = srv.SetLocalDescription(offer)
				<-g
				_ = cli.SetRemoteDescription(*srv.LocalDescription())
				answer, _ := cli.CreateAnswer(nil)
				g = webrtc.GatheringCompletePromise(cli)
				_ = cli.SetLocalDescription(answer)
				<-g
				if err := srv.SetRemoteDescription(*cli.LocalDescription()); err != nil {
					b.Fatal(err)
				}
			}
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, Marker: true},
				Payload: make([]byte, 1100)}
			pkt.Payload[0] = 0x10
			send := func() {
				pkt.SequenceNumber++
				pkt.Timestamp += 3000
				for _, tr := range tracks {
					_ = tr.WriteRTP(pkt)
				}
				if bc != nil {
					_ = bc.Flush()
				}
			}
			deadline := time.After(30 * time.Second)
			for waiting := n; waiting > 0; {
				select {
				case <-ready:
					waiting--
				case <-deadline:
					b.Fatal("subscribers did not connect")
				case <-time.After(10 * time.Millisecond):
					send()
				}
			}
			got.Store(0)
			cpu0 := cpuNow()
			b.ResetTimer()
			for i := range b.N {
				send()
				if i%4 == 3 { // ≈ 20,000 packets/s, which the receivers keep up with
					time.Sleep(2 * time.Millisecond)
				}
			}
			b.StopTimer()
			time.Sleep(100 * time.Millisecond)
			b.ReportMetric(float64((cpuNow()-cpu0).Microseconds())/float64(b.N*n), "cpu-µs/pkt")
			b.ReportMetric(float64(got.Load())/float64(b.N*n), "delivered")
		})
	}
}
