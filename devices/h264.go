package devices

import "bytes"

// H.264 NAL unit types (ITU-T H.264, table 7-1).
const (
	nalIDR = 5
	nalSPS = 7
	nalPPS = 8
)

var startCode = []byte{0, 0, 0, 1}

// h264Params remembers the last SPS and PPS of a stream so that every
// IDR access unit can carry them (x264 repeats them already; this keeps
// the promise whatever the encoder does).
type h264Params struct {
	sps, pps []byte
}

// complete returns the access unit au with SPS and PPS before its IDR
// slice if it has one and lacks them, and whether it is a keyframe.
func (p *h264Params) complete(au []byte) ([]byte, bool) {
	var idr, sps, pps bool
	for _, n := range nalUnits(au) {
		if len(n) == 0 {
			continue
		}
		switch n[0] & 0x1f {
		case nalIDR:
			idr = true
		case nalSPS:
			sps = true
			p.sps = append(p.sps[:0], n...)
		case nalPPS:
			pps = true
			p.pps = append(p.pps[:0], n...)
		}
	}
	if !idr || (sps && pps) || p.sps == nil || p.pps == nil {
		return au, idr
	}
	out := make([]byte, 0, len(au)+len(p.sps)+len(p.pps)+8)
	out = append(append(out, startCode...), p.sps...)
	out = append(append(out, startCode...), p.pps...)
	return append(out, au...), true
}

// nalUnits splits an Annex-B byte stream into NAL units (without start
// codes).
func nalUnits(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = append(out, bytes.TrimRight(b[start:i], "\x00"))
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 {
		out = append(out, b[start:])
	}
	return out
}
