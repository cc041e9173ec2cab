package main

import (
	"encoding/binary"
	"time"
)

// Synthetic media for the load test. Every RTP payload carries a stamp
// after the codec headers: stampMagic, then the send time in nanoseconds
// since the run began (monotonic), so a subscriber in the same process
// measures end-to-end latency.
var stampMagic = [4]byte{'E', 'R', 'L', 'T'}

const (
	stampLen      = 12
	maxRTPPayload = 1200
	videoClock    = 90000
	opusClock     = 48000
	opusPPS       = 50
	opusBytes     = 80 // ≈ 32 kbit/s
	keyframeEvery = 2 * time.Second
	keyframeScale = 4 // a keyframe is this many times an inter frame
	vp8Descriptor = 4 // X, I, M + 15-bit picture id (RFC 7741 §4.2)
)

func putStamp(b []byte, sinceStart time.Duration) {
	copy(b, stampMagic[:])
	binary.BigEndian.PutUint64(b[4:], uint64(sinceStart))
}

// readStamp returns the send time stamped at b, if b starts with one.
func readStamp(b []byte) (time.Duration, bool) {
	if len(b) < stampLen || [4]byte(b[:4]) != stampMagic {
		return 0, false
	}
	return time.Duration(binary.BigEndian.Uint64(b[4:])), true
}

// vp8Source cuts a VP8-like stream of the given bitrate into RTP payloads:
// correct payload descriptors and frame headers, stamped filler instead of
// coded data (RFC 7741).
type vp8Source struct {
	fps              int
	keyBytes, pBytes int
	framesPerKey     int
	frame            int
	pictureID        uint16
}

func newVP8Source(bitrate, fps int) *vp8Source {
	perGOP := bitrate / 8 * int(keyframeEvery/time.Second)
	frames := fps * int(keyframeEvery/time.Second)
	p := perGOP / (frames - 1 + keyframeScale)
	return &vp8Source{fps: fps, keyBytes: p * keyframeScale, pBytes: p, framesPerKey: frames}
}

// next returns the payloads of the next frame, whether it is a keyframe,
// and its RTP timestamp increment. out is reused.
// A keyframe is sent every keyframeEvery, or at once when forceKey (a
// PLI or FIR arrived); the cadence restarts from it.
func (s *vp8Source) next(out [][]byte, since time.Duration, forceKey bool) ([][]byte, bool) {
	if forceKey {
		s.frame = 0
	}
	key := s.frame%s.framesPerKey == 0
	s.frame++
	s.pictureID = (s.pictureID + 1) & 0x7fff
	size := s.pBytes
	header := 3
	if key {
		size, header = s.keyBytes, 10
	}
	size = max(size, header+stampLen)
	out = out[:0]
	for off, first := 0, true; off < size; first = false {
		n := min(size-off, maxRTPPayload-vp8Descriptor)
		if n < stampLen+header && first {
			n = stampLen + header
		}
		if !first && n < stampLen {
			n = stampLen // the last slice still carries a stamp
		}
		p := make([]byte, vp8Descriptor+n)
		p[0] = 0x80 // X
		if first {
			p[0] |= 0x10 // S, partition 0
		}
		p[1] = 0x80 // I
		p[2] = 0x80 | byte(s.pictureID>>8)
		p[3] = byte(s.pictureID)
		body := p[vp8Descriptor:]
		if first {
			putVP8Header(body, key, size)
			body = body[header:]
		}
		putStamp(body, since)
		out = append(out, p)
		off += n
	}
	return out, key
}

// putVP8Header writes the 3-byte frame tag, and for a keyframe the start
// code and a 1280×720 size (RFC 6386 §9.1).
func putVP8Header(b []byte, key bool, size int) {
	first := uint32(size) & 0x7ffff // first_part_size
	tag := first<<5 | 1<<4          // show_frame, version 0
	if !key {
		tag |= 1 // P: inter frame
	}
	b[0], b[1], b[2] = byte(tag), byte(tag>>8), byte(tag>>16)
	if key {
		copy(b[3:], []byte{0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02}) // 1280 (0x500), 720 (0x2d0)
	}
}

// vp8Parse reads a VP8 payload descriptor and returns the payload after
// it, whether it starts a frame, and for a frame start whether it is a
// keyframe; ok is false for a malformed descriptor.
func vp8Parse(p []byte) (payload []byte, start, key, ok bool) {
	if len(p) < 1 {
		return nil, false, false, false
	}
	x, s, pid := p[0]&0x80 != 0, p[0]&0x10 != 0, p[0]&0x07
	i := 1
	if x {
		if len(p) < 2 {
			return nil, false, false, false
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 {
			if len(p) <= i {
				return nil, false, false, false
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if ext&0x40 != 0 {
			i++
		}
		if ext&0x30 != 0 {
			i++
		}
	}
	if len(p) <= i {
		return nil, false, false, false
	}
	payload = p[i:]
	start = s && pid == 0
	if start {
		key = payload[0]&0x01 == 0
		skip := 3
		if key {
			skip = 10
		}
		if len(payload) < skip {
			return nil, false, false, false
		}
		payload = payload[skip:]
	}
	return payload, start, key, true
}

// opusPayload returns one 20 ms Opus-like packet: a TOC byte (CELT
// fullband 20 ms, RFC 6716 §3.1) and a stamp.
func opusPayload(since time.Duration) []byte {
	p := make([]byte, opusBytes)
	p[0] = 0xfc
	putStamp(p[1:], since)
	return p
}
