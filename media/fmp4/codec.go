package fmp4

// writeAvc1 appends the avc1 visual sample entry with its avcC box
// (ISO/IEC 14496-15 5.3.3).
func writeAvc1(b *builder, t *Track) {
	avc1 := startVisualEntry(b, "avc1", t)

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

// startVisualEntry begins a VisualSampleEntry (ISO/IEC 14496-12 12.1.3)
// of the given type; the caller appends the codec's boxes and ends it.
func startVisualEntry(b *builder, typ string, t *Track) int {
	off := b.start(typ)
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
	return off
}

// writeVp08 appends the vp08 visual sample entry with its vpcC box, a
// version 1 full box ("VP Codec ISO Media File Format Binding" v1.0).
// VP8 defines no levels: the field holds 10 (level 1, the lowest of the
// binding's table). The colour fields say what RFC 6386 9.2 fixes for
// color_space 0: 8-bit 4:2:0 in studio range with BT.601 matrix
// coefficients; primaries and transfer are unspecified.
func writeVp08(b *builder, t *Track) {
	vp08 := startVisualEntry(b, "vp08", t)
	vpcC := b.startFull("vpcC", 1, 0)
	b.u8(uint8(t.VP8Version)) // profile
	b.u8(10)                  // level
	// bitDepth (4 bits) = 8, chromaSubsampling (3 bits) = 1 (4:2:0; the
	// binding has no code for VP8's centred chroma siting),
	// videoFullRangeFlag = 0.
	b.u8(8<<4 | 1<<1)
	b.u8(2)  // colourPrimaries: unspecified (ISO/IEC 23091-2)
	b.u8(2)  // transferCharacteristics: unspecified
	b.u8(6)  // matrixCoefficients: BT.601 (SMPTE 170M)
	b.u16(0) // codecInitializationDataSize: none for VP8
	b.end(vpcC)
	b.end(vp08)
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
