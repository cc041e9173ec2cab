package udpbatch_test

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room/sfu/udpbatch"
)

// BenchmarkFanout sends one 1,200-byte packet to each of N loopback
// subscribers per iteration, one sendto per datagram ("per-packet") or
// queued and flushed once ("batched"). The receivers do not read, so the
// kernel drops at their queues; both ways pay the same loopback cost.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{10, 50} {
		var dst []netip.AddrPort
		for range n {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			dst = append(dst, c.LocalAddr().(*net.UDPAddr).AddrPort())
		}
		pkt := make([]byte, 1200)
		b.Run(fmt.Sprintf("per-packet/%d", n), func(b *testing.B) {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				for _, d := range dst {
					if _, err := c.WriteToUDPAddrPort(pkt, d); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/pkt")
		})
		b.Run(fmt.Sprintf("batched/%d", n), func(b *testing.B) {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			bc, err := udpbatch.New(c)
			if err != nil {
				b.Fatal(err)
			}
			defer bc.Close()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				for _, d := range dst {
					if _, err := bc.WriteToAddrPort(pkt, d); err != nil {
						b.Fatal(err)
					}
				}
				if err := bc.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/pkt")
			st := bc.Stats()
			b.ReportMetric(float64(st.Packets)/float64(max(st.Batches, 1)), "pkts/syscall")
		})
	}
}
