package fmp4

import "encoding/binary"

// builder appends boxes to a byte slice. start reserves a box header and
// returns its offset; end patches the box's size.
type builder struct {
	b []byte
}

func (w *builder) start(typ string) int {
	off := len(w.b)
	w.b = append(w.b, 0, 0, 0, 0, typ[0], typ[1], typ[2], typ[3])
	return off
}

// startFull begins a full box (ISO/IEC 14496-12 4.2) with version and
// 24-bit flags.
func (w *builder) startFull(typ string, version uint8, flags uint32) int {
	off := w.start(typ)
	w.u32(uint32(version)<<24 | flags&0xffffff)
	return off
}

func (w *builder) end(off int) {
	binary.BigEndian.PutUint32(w.b[off:], uint32(len(w.b)-off))
}

func (w *builder) u8(v uint8) { w.b = append(w.b, v) }

func (w *builder) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }

func (w *builder) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }

func (w *builder) u64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }

func (w *builder) bytes(p []byte) { w.b = append(w.b, p...) }

func (w *builder) str(s string) { w.b = append(w.b, s...) }

func (w *builder) zeros(n int) {
	for i := 0; i < n; i++ {
		w.b = append(w.b, 0)
	}
}

// matrix writes the unity transformation matrix of mvhd and tkhd.
func (w *builder) matrix() {
	for _, v := range []uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000} {
		w.u32(v)
	}
}
