package ogg

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// Reader returns the packets of an Ogg stream in order.
type Reader struct {
	r       *bufio.Reader
	lacing  []byte // lacing values left on the current page
	granule int64  // granule position of the current page
	partial []byte // packet continued across pages
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, maxPage)} }

// maxPage bounds a page body: 255 segments of 255 bytes.
const maxPage = 255 * 255

// Packet returns the next packet and the granule position of the page on
// which it ends. It returns io.EOF after the last packet.
func (r *Reader) Packet() ([]byte, int64, error) {
	for {
		for len(r.lacing) > 0 {
			n := int(r.lacing[0])
			r.lacing = r.lacing[1:]
			seg := make([]byte, n)
			if _, err := io.ReadFull(r.r, seg); err != nil {
				return nil, 0, fmt.Errorf("ogg: read segment: %w", err)
			}
			r.partial = append(r.partial, seg...)
			if n < 255 {
				pkt := r.partial
				r.partial = nil
				return pkt, r.granule, nil
			}
		}
		if err := r.page(); err != nil {
			return nil, 0, err
		}
	}
}

// page reads a page header and its segment table (RFC 3533 6). The page
// checksum is verified over the header and body.
func (r *Reader) page() error {
	var h [27]byte
	if _, err := io.ReadFull(r.r, h[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%w: short header", ErrBadPage)
		}
		return err // io.EOF at a page boundary: the stream ended
	}
	if string(h[:4]) != "OggS" || h[4] != 0 {
		return fmt.Errorf("%w: capture pattern %q version %d", ErrBadPage, h[:4], h[4])
	}
	lacing := make([]byte, h[26])
	if _, err := io.ReadFull(r.r, lacing); err != nil {
		return fmt.Errorf("%w: short segment table", ErrBadPage)
	}
	bodyLen := 0
	for _, l := range lacing {
		bodyLen += int(l)
	}
	body, err := r.r.Peek(bodyLen)
	if err != nil {
		return fmt.Errorf("%w: short body", ErrBadPage)
	}
	want := binary.LittleEndian.Uint32(h[22:])
	binary.LittleEndian.PutUint32(h[22:], 0)
	crc := crcUpdate(crcUpdate(crcUpdate(0, h[:]), lacing), body)
	if crc != want {
		return fmt.Errorf("%w: checksum %08x, want %08x", ErrBadPage, crc, want)
	}
	if h[5]&1 == 0 {
		r.partial = nil // not a continuation: drop any unfinished packet
	}
	r.granule = int64(binary.LittleEndian.Uint64(h[6:]))
	r.lacing = lacing
	return nil
}

var crcTable = func() [256]uint32 {
	var t [256]uint32
	for i := range t {
		c := uint32(i) << 24
		for j := 0; j < 8; j++ {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crcUpdate is the Ogg CRC-32 (polynomial 0x04c11db7, not reflected).
func crcUpdate(crc uint32, b []byte) uint32 {
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>24)^c]
	}
	return crc
}
