package sfu

import "sync"

// packetCache keeps the last cacheSize packets of one published video
// layer, as received (decrypted RTP), so that every subscriber's NACKs
// are answered from one copy instead of one per subscriber. The layer's
// reader puts each packet once; down tracks' RTCP readers copy packets
// out.
type packetCache struct {
	mu    sync.Mutex
	slots []cacheSlot
}

type cacheSlot struct {
	seq uint16
	n   int // 0: empty
	buf [maxPacket]byte
}

const (
	// cacheSize packets are kept: about 4 s of a 1.5 Mbit/s stream.
	cacheSize = 512
	// maxPacket is the largest packet kept; larger ones are not.
	maxPacket = 1500
)

func newPacketCache() *packetCache {
	return &packetCache{slots: make([]cacheSlot, cacheSize)}
}

// put stores pkt, RTP sequence number seq.
func (c *packetCache) put(seq uint16, pkt []byte) {
	s := &c.slots[int(seq)%cacheSize]
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(pkt) > maxPacket {
		s.n = 0
		return
	}
	s.seq, s.n = seq, copy(s.buf[:], pkt)
}

// get copies packet seq into dst and returns its length, 0 when it is no
// longer (or was never) kept.
func (c *packetCache) get(seq uint16, dst []byte) int {
	s := &c.slots[int(seq)%cacheSize]
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.n == 0 || s.seq != seq {
		return 0
	}
	return copy(dst, s.buf[:s.n])
}
