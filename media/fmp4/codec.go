package fmp4

// writeAvc1 appends the avc1 visual sample entry with its avcC box
// (ISO/IEC 14496-15 5.3.3).
func writeAvc1(b *builder, t *Track) {
	avc1 := b.start("avc1")
	b.zeros(6)
	b.u16(1) // data_reference_index
	b.zeros(16)
	b.u16(uint16(t.Width))
	b.u16(uint16(t.Height))
	b.u32(0x00480000) // 72 dpi
	b.u32(0x00480000)
	b.u32(0)
	b.u16(1) // frame_count
	b.zeros(32)
	b.u16(0x0018)
	b.u16(0xffff)

	avcC := b.start("avcC")
	sps, pps := t.SPS, t.PPS
	b.u8(1)
	b.u8(sps[1])
	b.u8(sps[2])
	b.u8(sps[3])
	b.u8(0xfc | 3) // lengthSizeMinusOne: 4-byte lengths
	b.u8(0xe0 | 1)
	b.u16(uint16(len(sps)))
	b.bytes(sps)
	b.u8(1)
	b.u16(uint16(len(pps)))
	b.bytes(pps)
	if highProfile(sps[1]) {
		info, err := ParseSPS(sps)
		if err == nil {
			b.u8(0xfc | uint8(info.ChromaFormat))
			b.u8(0xf8 | uint8(info.BitDepthLuma-8))
			b.u8(0xf8 | uint8(info.BitDepthChroma-8))
			b.u8(0) // numOfSequenceParameterSetExt
		}
	}
	b.end(avcC)
	b.end(avc1)
}

// writeOpus appends the Opus audio sample entry and its dOps box
// ("Encapsulation of Opus in ISO Base Media File Format" 4.3); unlike
// RFC 7845's OpusHead, dOps is big-endian.
func writeOpus(b *builder, t *Track) {
	entry := b.start("Opus")
	b.zeros(6)
	b.u16(1) // data_reference_index
	b.zeros(8)
	b.u16(uint16(t.Channels))
	b.u16(16) // samplesize
	b.u16(0)
	b.u16(0)
	b.u32(48000 << 16)
	dops := b.start("dOps")
	b.u8(0) // Version
	b.u8(uint8(t.Channels))
	b.u16(uint16(t.PreSkip))
	b.u32(uint32(t.SampleRate))
	b.u16(0) // OutputGain
	b.u8(0)  // ChannelMappingFamily: mono or stereo
	b.end(dops)
	b.end(entry)
}
