package fmp4

import "fmt"

// SPSInfo is what the writer needs from an H.264 sequence parameter set
// (ITU-T H.264 7.3.2.1.1).
type SPSInfo struct {
	// Profile, Compatibility and Level are the first three bytes after the
	// NAL header (profile_idc, constraint flags, level_idc).
	Profile, Compatibility, Level uint8
	// ChromaFormat is chroma_format_idc (1 = 4:2:0).
	ChromaFormat int
	// BitDepthLuma and BitDepthChroma are the sample bit depths.
	BitDepthLuma, BitDepthChroma int
	// Width and Height are the cropped picture size in pixels.
	Width, Height int
}

// highProfile reports whether profile_idc carries chroma_format_idc and
// the bit depths in the SPS (and avcC's extension fields).
func highProfile(p uint8) bool {
	switch p {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

// ParseSPS reads an SPS NAL unit (with its one-byte NAL header, without
// start code).
func ParseSPS(nal []byte) (SPSInfo, error) {
	if len(nal) < 4 || NALType(nal) != NALSPS {
		return SPSInfo{}, fmt.Errorf("%w: not an SPS NAL unit", ErrBadSPS)
	}
	info := SPSInfo{Profile: nal[1], Compatibility: nal[2], Level: nal[3],
		ChromaFormat: 1, BitDepthLuma: 8, BitDepthChroma: 8}
	r := bitReader{b: unescapeRBSP(nal[4:])}
	r.ue() // seq_parameter_set_id
	separateColour := false
	if highProfile(info.Profile) {
		info.ChromaFormat = int(r.ue())
		if info.ChromaFormat == 3 {
			separateColour = r.bit() == 1
		}
		info.BitDepthLuma = int(r.ue()) + 8
		info.BitDepthChroma = int(r.ue()) + 8
		r.bit()           // qpprime_y_zero_transform_bypass_flag
		if r.bit() == 1 { // seq_scaling_matrix_present_flag
			n := 8
			if info.ChromaFormat == 3 {
				n = 12
			}
			for i := 0; i < n; i++ {
				if r.bit() == 1 {
					size := 16
					if i >= 6 {
						size = 64
					}
					r.skipScalingList(size)
				}
			}
		}
	}
	r.ue()          // log2_max_frame_num_minus4
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bit() // delta_pic_order_always_zero_flag
		r.se()  // offset_for_non_ref_pic
		r.se()  // offset_for_top_to_bottom_field
		n := r.ue()
		for i := uint32(0); i < n && r.err == nil; i++ {
			r.se()
		}
	}
	r.ue()  // max_num_ref_frames
	r.bit() // gaps_in_frame_num_value_allowed_flag
	widthMbs := int(r.ue()) + 1
	heightMapUnits := int(r.ue()) + 1
	frameMbsOnly := int(r.bit())
	if frameMbsOnly == 0 {
		r.bit() // mb_adaptive_frame_field_flag
	}
	r.bit() // direct_8x8_inference_flag
	var cropL, cropR, cropT, cropB int
	if r.bit() == 1 {
		cropL, cropR, cropT, cropB = int(r.ue()), int(r.ue()), int(r.ue()), int(r.ue())
	}
	if r.err != nil {
		return SPSInfo{}, fmt.Errorf("%w: %v", ErrBadSPS, r.err)
	}
	cropX, cropY := 1, 2-frameMbsOnly
	if info.ChromaFormat != 0 && !separateColour {
		subW, subH := 2, 2
		switch info.ChromaFormat {
		case 2:
			subH = 1
		case 3:
			subW, subH = 1, 1
		}
		cropX, cropY = subW, subH*(2-frameMbsOnly)
	}
	info.Width = widthMbs*16 - cropX*(cropL+cropR)
	info.Height = (2-frameMbsOnly)*heightMapUnits*16 - cropY*(cropT+cropB)
	if info.Width <= 0 || info.Height <= 0 {
		return SPSInfo{}, fmt.Errorf("%w: picture size %dx%d", ErrBadSPS, info.Width, info.Height)
	}
	return info, nil
}

// unescapeRBSP removes emulation prevention bytes (00 00 03 → 00 00).
func unescapeRBSP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// bitReader reads Exp-Golomb coded fields (ITU-T H.264 9.1); the first
// read past the end sets err and later reads return zero.
type bitReader struct {
	b   []byte
	pos int
	err error
}

func (r *bitReader) bit() uint32 {
	if r.pos >= len(r.b)*8 {
		r.err = fmt.Errorf("SPS ends early")
		return 0
	}
	v := r.b[r.pos/8] >> (7 - r.pos%8) & 1
	r.pos++
	return uint32(v)
}

func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.err != nil || zeros > 31 {
			r.err = fmt.Errorf("bad Exp-Golomb code")
			return 0
		}
		zeros++
	}
	v := uint32(0)
	for i := 0; i < zeros; i++ {
		v = v<<1 | r.bit()
	}
	return v + (1 << zeros) - 1
}

func (r *bitReader) se() int32 {
	k := r.ue()
	if k&1 == 1 {
		return int32((k + 1) / 2)
	}
	return -int32(k / 2)
}

func (r *bitReader) skipScalingList(size int) {
	last, next := int32(8), int32(8)
	for j := 0; j < size && r.err == nil; j++ {
		if next != 0 {
			next = (last + r.se() + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
}
