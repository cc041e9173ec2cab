package ogg

import (
	"encoding/binary"
	"fmt"
)

// OpusHead is the identification header of an Ogg Opus stream
// (RFC 7845 5.1).
type OpusHead struct {
	// Channels is the output channel count.
	Channels int
	// PreSkip is the number of 48 kHz samples to discard at the start.
	PreSkip int
	// InputSampleRate is the original sample rate (informational).
	InputSampleRate int
	// MappingFamily is the channel mapping family.
	MappingFamily int
}

// ParseOpusHead reads an OpusHead packet.
func ParseOpusHead(pkt []byte) (OpusHead, error) {
	if len(pkt) < 19 || string(pkt[:8]) != "OpusHead" {
		return OpusHead{}, ErrNotOpusHead
	}
	if pkt[8]>>4 != 0 {
		return OpusHead{}, fmt.Errorf("%w: version %d", ErrNotOpusHead, pkt[8])
	}
	return OpusHead{
		Channels:        int(pkt[9]),
		PreSkip:         int(binary.LittleEndian.Uint16(pkt[10:])),
		InputSampleRate: int(binary.LittleEndian.Uint32(pkt[12:])),
		MappingFamily:   int(pkt[18]),
	}, nil
}
