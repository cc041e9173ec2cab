package fmp4

import "encoding/binary"

// H.264 NAL unit types used by the writer (ITU-T H.264 Table 7-1).
const (
	NALSlice = 1
	NALIDR   = 5
	NALSEI   = 6
	NALSPS   = 7
	NALPPS   = 8
	NALAUD   = 9
)

// NALType returns the nal_unit_type of a NAL unit (without start code).
func NALType(nal []byte) int {
	if len(nal) == 0 {
		return 0
	}
	return int(nal[0] & 0x1f)
}

// SplitAnnexB calls fn for each NAL unit of an Annex-B byte stream
// (ITU-T H.264 Annex B: units separated by 00 00 01 or 00 00 00 01 start
// codes), without the start codes and trailing zero bytes. Data before
// the first start code is ignored. Stop early by returning false.
func SplitAnnexB(b []byte, fn func(nal []byte) bool) {
	i := nextStart(b, 0)
	for i >= 0 {
		begin := i
		next := nextStart(b, begin)
		end := len(b)
		if next >= 0 {
			end = next - 3
		}
		for end > begin && b[end-1] == 0 {
			end--
		}
		if end > begin && !fn(b[begin:end]) {
			return
		}
		i = next
	}
}

// nextStart returns the index just after the next 00 00 01 at or after
// from, or -1.
func nextStart(b []byte, from int) int {
	for i := from; i+2 < len(b); i++ {
		if b[i+2] > 1 {
			i += 2
			continue
		}
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			return i + 3
		}
	}
	return -1
}

// AnnexBToAVCC appends to dst the NAL units of an Annex-B access unit,
// each prefixed with its 4-byte big-endian length (the AVCC form that
// avc1 samples hold), and returns the extended slice. Access unit
// delimiters are dropped; parameter sets and SEI are kept, so a sample
// that starts a segment carries its own SPS and PPS.
func AnnexBToAVCC(dst, annexB []byte) []byte {
	SplitAnnexB(annexB, func(nal []byte) bool {
		if NALType(nal) == NALAUD {
			return true
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
		dst = append(dst, nal...)
		return true
	})
	return dst
}

// IsKeyframe reports whether an Annex-B access unit holds an IDR slice,
// the only kind of picture a decoder can start from.
func IsKeyframe(annexB []byte) bool {
	key := false
	SplitAnnexB(annexB, func(nal []byte) bool {
		key = NALType(nal) == NALIDR
		return !key
	})
	return key
}

// ParameterSets returns the first SPS and PPS found in an Annex-B access
// unit, or nil for those absent. The returned slices alias annexB.
func ParameterSets(annexB []byte) (sps, pps []byte) {
	SplitAnnexB(annexB, func(nal []byte) bool {
		switch NALType(nal) {
		case NALSPS:
			if sps == nil {
				sps = nal
			}
		case NALPPS:
			if pps == nil {
				pps = nal
			}
		}
		return sps == nil || pps == nil
	})
	return sps, pps
}
