package sfu

import "strings"

// isKeyframe reports whether payload (an RTP payload without padding) is
// the first packet of a keyframe for the codec mime type.
func isKeyframe(mime string, payload []byte) bool {
	switch {
	case strings.EqualFold(mime, "video/VP8"):
		return vp8Keyframe(payload)
	case strings.EqualFold(mime, "video/H264"):
		return h264Keyframe(payload)
	}
	return false
}

// vp8Keyframe parses the VP8 payload descriptor (RFC 7741 §4.2) and the
// first byte of the VP8 payload header: a keyframe starts where S=1,
// partition index 0 and the inverse keyframe bit P is 0.
func vp8Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	x, s, pid := p[0]&0x80 != 0, p[0]&0x10 != 0, p[0]&0x07
	if !s || pid != 0 {
		return false
	}
	i := 1
	if x {
		if len(p) < 2 {
			return false
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // I: picture id
			if len(p) <= i {
				return false
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/KEYIDX byte
			i++
		}
	}
	return len(p) > i && p[i]&0x01 == 0
}

// h264Keyframe reports an SPS or IDR NAL unit at the start of a single
// NAL, STAP-A or FU-A (start) payload (RFC 6184).
func h264Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch t := p[0] & 0x1f; {
	case t == 5 || t == 7:
		return true
	case t == 24: // STAP-A
		for i := 1; i+2 < len(p); {
			size := int(p[i])<<8 | int(p[i+1])
			if nt := p[i+2] & 0x1f; nt == 5 || nt == 7 {
				return true
			}
			i += 2 + size
		}
	case t == 28: // FU-A
		if len(p) >= 2 && p[1]&0x80 != 0 {
			nt := p[1] & 0x1f
			return nt == 5 || nt == 7
		}
	}
	return false
}
