package udpbatch

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// batch is a queue of datagrams in reusable slots: buffers and addresses
// are allocated once, so queuing a datagram does not allocate.
type batch struct {
	msgs  []ipv4.Message
	slots []slot
	n     int
}

type slot struct {
	buf  []byte
	ip   [16]byte
	addr net.UDPAddr
	iov  [1][]byte
}

func newBatch(size int) *batch {
	b := &batch{msgs: make([]ipv4.Message, size), slots: make([]slot, size)}
	backing := make([]byte, size*slotSize)
	for i := range b.slots {
		s := &b.slots[i]
		s.buf = backing[i*slotSize : (i+1)*slotSize : (i+1)*slotSize]
		b.msgs[i].Buffers = s.iov[:]
		b.msgs[i].Addr = &s.addr
	}
	return b
}

// put copies p and addr into the next slot; the caller checked room.
func (b *batch) put(p []byte, addr netip.AddrPort) {
	s := &b.slots[b.n]
	if cap(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	s.buf = s.buf[:len(p)]
	copy(s.buf, p)
	s.iov[0] = s.buf
	ip := addr.Addr()
	if ip.Is4() || ip.Is4In6() {
		a4 := ip.Unmap().As4()
		copy(s.ip[:], a4[:])
		s.addr.IP = s.ip[:4]
	} else {
		s.ip = ip.As16()
		s.addr.IP = s.ip[:16]
	}
	s.addr.Port = int(addr.Port())
	s.addr.Zone = ip.Zone()
	b.n++
}

func (b *batch) reset() { b.n = 0 }
