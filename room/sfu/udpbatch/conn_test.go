package udpbatch_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room/sfu/udpbatch"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func listen(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	require.NoError(t, c.SetReadBuffer(4<<20))
	t.Cleanup(func() { c.Close() })
	return c
}

func newConn(t *testing.T, opts ...udpbatch.Option) *udpbatch.Conn {
	t.Helper()
	c, err := udpbatch.New(listen(t), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// receive reads until want datagrams arrived or nothing came for 5 s.
func receive(t *testing.T, c *net.UDPConn, want int) [][]byte {
	t.Helper()
	var got [][]byte
	buf := make([]byte, 2048)
	for len(got) < want {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, _, err := c.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("received %d of %d datagrams: %v", len(got), want, err)
		}
		got = append(got, append([]byte(nil), buf[:n]...))
	}
	return got
}

func TestEveryDatagramArrivesInOrderPerDestination(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const writers, perWriter, receivers = 4, 300, 3
	sender, err := udpbatch.New(listen(t), udpbatch.WithBatchSize(16))
	require.NoError(t, err)
	var dst []*net.UDPConn
	for range receivers {
		dst = append(dst, listen(t))
	}

	results := make([][][]byte, receivers)
	var rwg sync.WaitGroup
	for i, d := range dst {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			results[i] = receive(t, d, writers*perWriter)
		}()
	}
	var wwg sync.WaitGroup
	for w := range writers {
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			p := make([]byte, 200)
			for seq := range perWriter {
				p[0] = byte(w)
				binary.BigEndian.PutUint32(p[1:], uint32(seq))
				for _, d := range dst { // one packet fanned out to every receiver
					_, err := sender.WriteTo(p, d.LocalAddr())
					require.NoError(t, err)
				}
				if seq%5 == 0 {
					require.NoError(t, sender.Flush())
				}
			}
		}()
	}
	wwg.Wait()
	require.NoError(t, sender.Flush())
	rwg.Wait()

	for i, got := range results {
		next := make([]uint32, writers)
		for _, p := range got {
			require.Len(t, p, 200)
			w, seq := p[0], binary.BigEndian.Uint32(p[1:])
			require.Equal(t, next[w], seq, "receiver %d, writer %d: out of order or lost", i, w)
			next[w]++
		}
	}
	st := sender.Stats()
	require.Equal(t, uint64(writers*perWriter*receivers), st.Packets)
	require.Less(t, st.Batches, st.Packets, "datagrams were batched")
	require.Zero(t, st.Dropped)
	require.NoError(t, sender.Close())
}

func TestBackstopSendsUnflushedWrites(t *testing.T) {
	c := newConn(t)
	dst := listen(t)
	_, err := c.WriteTo([]byte("hello"), dst.LocalAddr())
	require.NoError(t, err)
	got := receive(t, dst, 1) // nobody calls Flush
	require.Equal(t, "hello", string(got[0]))
}

func TestWriteToAddrPortAndMappedAddresses(t *testing.T) {
	c := newConn(t)
	dst := listen(t)
	ap := dst.LocalAddr().(*net.UDPAddr).AddrPort()
	mapped := netip.AddrPortFrom(netip.AddrFrom16(ap.Addr().As16()), ap.Port())
	_, err := c.WriteToAddrPort([]byte("one"), ap)
	require.NoError(t, err)
	_, err = c.WriteToAddrPort([]byte("two"), mapped)
	require.NoError(t, err)
	require.NoError(t, c.Flush())
	got := receive(t, dst, 2)
	require.Equal(t, "one", string(got[0]))
	require.Equal(t, "two", string(got[1]))
}

func TestSendErrorsSurfaceAndOthersStillArrive(t *testing.T) {
	c := newConn(t)
	dst := listen(t)
	// A socket bound to loopback cannot reach a documentation address:
	// the kernel refuses (EINVAL, or ENETUNREACH without a route).
	bcast := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 9}
	for _, a := range []net.Addr{dst.LocalAddr(), bcast, dst.LocalAddr()} {
		_, err := c.WriteTo([]byte("x"), a)
		require.NoError(t, err)
	}
	err := c.Flush()
	require.Error(t, err)
	var errno syscall.Errno
	require.True(t, errors.As(err, &errno), "got %v", err)
	require.Contains(t, err.Error(), "198.51.100.1")
	require.Len(t, receive(t, dst, 2), 2)
	require.Equal(t, uint64(1), c.Stats().Dropped)
	require.NoError(t, c.Flush(), "an error is reported once")
}

func TestBadWrites(t *testing.T) {
	c := newConn(t)
	dst := listen(t)
	cases := []struct {
		name string
		p    []byte
		addr net.Addr
		want error
	}{
		{"tcp address", []byte("x"), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, udpbatch.ErrBadAddr},
		{"nil udp address", []byte("x"), (*net.UDPAddr)(nil), udpbatch.ErrBadAddr},
		{"no ip", []byte("x"), &net.UDPAddr{Port: 5}, udpbatch.ErrBadAddr},
		{"port zero", []byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, udpbatch.ErrBadAddr},
		{"too large", make([]byte, 70000), dst.LocalAddr(), udpbatch.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.WriteTo(tc.p, tc.addr)
			require.ErrorIs(t, err, tc.want)
		})
	}
	// A datagram larger than a slot (but valid) still goes out whole.
	big := make([]byte, 9000)
	big[8999] = 7
	_, err := c.WriteTo(big, dst.LocalAddr())
	require.NoError(t, err)
	require.NoError(t, c.Flush())
	buf := make([]byte, 10000)
	require.NoError(t, dst.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, _, err := dst.ReadFrom(buf)
	require.NoError(t, err)
	require.Equal(t, 9000, n)
	require.Equal(t, byte(7), buf[8999])

	_, err = udpbatch.New(listen(t), udpbatch.WithBatchSize(0))
	require.ErrorIs(t, err, udpbatch.ErrBadOption)
	_, err = udpbatch.New(listen(t), udpbatch.WithInterval(time.Hour))
	require.ErrorIs(t, err, udpbatch.ErrBadOption)
}

func TestCloseSendsQueuedAndStops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c, err := udpbatch.New(listen(t), udpbatch.WithInterval(100*time.Millisecond))
	require.NoError(t, err)
	dst := listen(t)
	_, err = c.WriteTo([]byte("last"), dst.LocalAddr())
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close is idempotent")
	require.Equal(t, "last", string(receive(t, dst, 1)[0]))
	_, err = c.WriteTo([]byte("late"), dst.LocalAddr())
	require.ErrorIs(t, err, net.ErrClosed)
	require.ErrorIs(t, c.Flush(), net.ErrClosed)
	_, _, err = c.ReadFrom(make([]byte, 10))
	require.ErrorIs(t, err, net.ErrClosed, "the socket is closed too")
}
