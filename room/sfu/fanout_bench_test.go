package sfu_test

import (
	"context"
	"fmt"
	"net"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/udpbatch"
)

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkServerFanout runs a whole server (batched UDP socket, as
// evalroomd has with media.batch_sends) with one VP8 publisher and N
// WebSocket subscribers, all pion peers over loopback in this process.
// One op is one 1,100-byte packet published, paced at about 1,000 packets
// a second (so ns/op is not a speed). Metrics: "cpu-µs/fwd" is the
// process's CPU (server and clients) per forwarded packet; "delivered" is
// the share of forwarded packets the subscribers read. The server's
// goroutines carry the pprof label side=server, so
// `go tool pprof -tagfocus side=server` shows the server's part of a
// -cpuprofile.
func BenchmarkServerFanout(b *testing.B) {
	for _, n := range []int{10} {
		b.Run(fmt.Sprintf("%d subscribers", n), func(b *testing.B) { benchFanout(b, n) })
	}
}

func benchFanout(b *testing.B, n int) {
	sock, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	var e *env
	pprof.Do(context.Background(), pprof.Labels("side", "server"), func(context.Context) {
		bc, err := udpbatch.New(sock)
		require.NoError(b, err)
		e = newEnv(b, func(p *sfu.Params) { p.ICE.UDPConn = bc })
	})

	var subs []*peer
	for i := range n {
		subs = append(subs, e.join(b, evaluator(fmt.Sprintf("user:%d", 100+i), "2")))
	}
	pub := e.join(b, evaluator("user:1", "1"))
	v, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "cam", "a")
	require.NoError(b, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = pub.Publish(ctx, v)
	require.NoError(b, err)

	var seq uint16
	send := func(key bool) {
		seq++
		_ = v.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: seq, Timestamp: uint32(seq) * 3000},
			Payload: vp8(key, 1, 1100)})
	}
	received := func() (total int64) {
		for _, s := range subs {
			if st := s.recv.fromPublisher(pub.ID(), webrtc.RTPCodecTypeVideo); st != nil {
				total += st.packets.Load()
			}
		}
		return total
	}
	deadline := time.Now().Add(20 * time.Second)
	for ready := 0; ready < n; {
		require.True(b, time.Now().Before(deadline), "subscribers got no media")
		send(true)
		time.Sleep(20 * time.Millisecond)
		ready = 0
		for _, s := range subs {
			if st := s.recv.fromPublisher(pub.ID(), webrtc.RTPCodecTypeVideo); st != nil && st.packets.Load() > 0 {
				ready++
			}
		}
	}
	time.Sleep(200 * time.Millisecond)
	before := received()
	cpu0 := processCPU()
	start := time.Now()
	b.ResetTimer()
	for i := range b.N {
		send(i%300 == 0)
		if wait := time.Until(start.Add(time.Duration(i+1) * time.Millisecond)); wait > 0 {
			time.Sleep(wait)
		}
	}
	b.StopTimer()
	time.Sleep(200 * time.Millisecond)
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N*n), "cpu-µs/fwd")
	b.ReportMetric(float64(received()-before)/float64(b.N*n), "delivered")
}
