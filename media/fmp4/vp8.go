package fmp4

import (
	"encoding/binary"
	"fmt"
)

// VP8Header is what the uncompressed header of a VP8 frame tells
// (RFC 6386 9.1).
type VP8Header struct {
	// Key is true for a keyframe (the frame tag's key_frame bit is 0).
	Key bool
	// Version is the frame tag's 3-bit version (0 for libvpx's default
	// profile); it becomes the profile in vpcC.
	Version int
	// Show is the frame tag's show_frame bit.
	Show bool
	// Width and Height are the picture size in pixels, read from a
	// keyframe's header (0 for interframes, which do not carry it).
	Width, Height int
}

// vp8StartCode follows the frame tag of every keyframe.
var vp8StartCode = [3]byte{0x9d, 0x01, 0x2a}

// ParseVP8 reads the header of one compressed VP8 frame. It returns
// ErrBadVP8 for a frame shorter than its header or a keyframe without the
// start code or with a zero size.
func ParseVP8(frame []byte) (VP8Header, error) {
	if len(frame) < 3 {
		return VP8Header{}, fmt.Errorf("%w: %d bytes", ErrBadVP8, len(frame))
	}
	tag := uint32(frame[0]) | uint32(frame[1])<<8 | uint32(frame[2])<<16
	h := VP8Header{Key: tag&1 == 0, Version: int(tag>>1) & 7, Show: tag&0x10 != 0}
	if !h.Key {
		return h, nil
	}
	if len(frame) < 10 {
		return VP8Header{}, fmt.Errorf("%w: keyframe of %d bytes", ErrBadVP8, len(frame))
	}
	if [3]byte(frame[3:6]) != vp8StartCode {
		return VP8Header{}, fmt.Errorf("%w: keyframe without start code", ErrBadVP8)
	}
	// 14 bits of size, 2 bits of upscaling (ignored: the coded size is
	// what the decoder outputs).
	h.Width = int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff)
	h.Height = int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff)
	if h.Width == 0 || h.Height == 0 {
		return VP8Header{}, fmt.Errorf("%w: keyframe of size %d×%d", ErrBadVP8, h.Width, h.Height)
	}
	return h, nil
}

// IsVP8Keyframe reports whether a compressed VP8 frame is a keyframe with
// a valid header, the only kind of frame a decoder can start from.
func IsVP8Keyframe(frame []byte) bool {
	h, err := ParseVP8(frame)
	return err == nil && h.Key
}
