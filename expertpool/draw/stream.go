package draw

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

const streamLabel = "evalroom-draw-stream/v1"

// Stream is the deterministic random bit generator of a round: SHA-256 in
// counter mode over the seed and a context (see the package
// documentation). It is not safe for concurrent use.
type Stream struct {
	prefix  []byte // label || seed || uint32be(len(context)) || context
	counter uint64
	block   [sha256.Size]byte
	used    int // bytes of block already consumed
	h       hash.Hash
}

// NewStream returns the stream for seed and context.
func NewStream(seed []byte, context string) *Stream {
	p := make([]byte, 0, len(streamLabel)+len(seed)+4+len(context))
	p = append(p, streamLabel...)
	p = append(p, seed...)
	p = binary.BigEndian.AppendUint32(p, uint32(len(context)))
	p = append(p, context...)
	return &Stream{prefix: p, used: sha256.Size, h: sha256.New()}
}

func (s *Stream) refill() {
	s.h.Reset()
	s.h.Write(s.prefix)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], s.counter)
	s.h.Write(c[:])
	s.h.Sum(s.block[:0])
	s.counter++
	s.used = 0
}

// Uint64 returns the next 8 bytes of the stream as a big-endian integer.
func (s *Stream) Uint64() uint64 {
	var w [8]byte
	for i := range w {
		if s.used == len(s.block) {
			s.refill()
		}
		w[i] = s.block[s.used]
		s.used++
	}
	return binary.BigEndian.Uint64(w[:])
}

// Uniform returns a uniform integer in [0, n) by rejection sampling. It
// returns 0 when n is 0 or 1 without consuming the stream.
func (s *Stream) Uniform(n uint64) uint64 {
	if n <= 1 {
		return 0
	}
	// rem = 2^64 mod n; accept v < 2^64 - rem, i.e. v <= MaxUint64 - rem.
	rem := -n % n
	limit := ^uint64(0) - rem
	for {
		v := s.Uint64()
		if v <= limit {
			return v % n
		}
	}
}
