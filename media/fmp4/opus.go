package fmp4

// OpusPacketSamples returns the number of 48 kHz samples an Opus packet
// decodes to, read from its TOC byte (RFC 6716 3.1), or 0 for a packet
// that is empty or malformed.
func OpusPacketSamples(pkt []byte) int {
	if len(pkt) == 0 {
		return 0
	}
	toc := pkt[0]
	config := int(toc >> 3)
	var tenthsMs int // frame duration in 0.1 ms
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		tenthsMs = []int{100, 200, 400, 600}[config&3]
	case config < 16: // hybrid: 10, 20 ms
		tenthsMs = []int{100, 200}[config&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		tenthsMs = []int{25, 50, 100, 200}[config&3]
	}
	frames := 1
	switch toc & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(pkt) < 2 {
			return 0
		}
		frames = int(pkt[1] & 0x3f)
	}
	return frames * tenthsMs * 48 / 10
}
