package fmp4

import (
	"encoding/binary"
	"fmt"
	"time"
)

func (f *File) parseMoov(moov []byte) error {
	err := eachChild(moov, func(typ string, body []byte) error {
		if typ != "trak" {
			return nil
		}
		var t TrackInfo
		if tkhd := findPath(body, "tkhd"); len(tkhd) >= 24 && tkhd[0] == 1 {
			t.ID = binary.BigEndian.Uint32(tkhd[20:])
		} else if len(tkhd) >= 16 {
			t.ID = binary.BigEndian.Uint32(tkhd[12:])
		}
		if mdhd := findPath(body, "mdia", "mdhd"); len(mdhd) >= 24 && mdhd[0] == 1 {
			t.Timescale = binary.BigEndian.Uint32(mdhd[20:])
		} else if len(mdhd) >= 16 {
			t.Timescale = binary.BigEndian.Uint32(mdhd[12:])
		}
		if hdlr := findPath(body, "mdia", "hdlr"); len(hdlr) >= 12 {
			switch string(hdlr[8:12]) {
			case "vide":
				t.Kind = Video
			case "soun":
				t.Kind = Audio
			}
		}
		t.EditMediaTime = editMediaTime(findPath(body, "edts", "elst"))
		if stsd := findPath(body, "mdia", "minf", "stbl", "stsd"); len(stsd) >= 16 {
			t.Codec = entryCodec(string(stsd[12:16]))
		}
		if t.ID == 0 || t.Timescale == 0 {
			return fmt.Errorf("%w: trak without track ID or timescale", ErrMalformed)
		}
		f.Tracks = append(f.Tracks, t)
		return nil
	})
	if err != nil {
		return err
	}
	ilst := findPath(moov, "udta", "meta", "ilst")
	return eachChild(ilst, func(typ string, item []byte) error {
		switch typ {
		case "\xa9day":
			if v, ok := dataText(item); ok {
				if t, err := time.Parse(DayLayout, v); err == nil {
					f.UTCStart = t
				}
			}
		case "----":
			var mean, name, val string
			_ = eachChild(item, func(typ string, body []byte) error {
				switch {
				case typ == "mean" && len(body) >= 4:
					mean = string(body[4:])
				case typ == "name" && len(body) >= 4:
					name = string(body[4:])
				case typ == "data" && len(body) >= 8:
					val = string(body[8:])
				}
				return nil
			})
			if mean == TagMean && name != "" {
				f.Tags[name] = val
			}
		}
		return nil
	})
}

// editMediaTime returns the media_time of the first edit of an elst
// body that is not an empty edit (media_time -1), or 0.
func editMediaTime(elst []byte) int64 {
	if len(elst) < 8 {
		return 0
	}
	version, n := elst[0], int(binary.BigEndian.Uint32(elst[4:]))
	p := elst[8:]
	for i := 0; i < n; i++ {
		var mt int64
		switch {
		case version == 1 && len(p) >= 20:
			mt, p = int64(binary.BigEndian.Uint64(p[8:])), p[20:]
		case version == 0 && len(p) >= 12:
			mt, p = int64(int32(binary.BigEndian.Uint32(p[4:]))), p[12:]
		default:
			return 0
		}
		if mt != -1 {
			return mt
		}
	}
	return 0
}

// entryCodec names the codec of a sample entry type.
func entryCodec(typ string) Codec {
	switch typ {
	case "avc1", "avc3":
		return H264
	case "vp08":
		return VP8
	case "Opus":
		return Opus
	}
	return 0
}

// dataText returns the text of an item's data box.
func dataText(item []byte) (string, bool) {
	data := findPath(item, "data")
	if len(data) < 8 {
		return "", false
	}
	return string(data[8:]), true
}

func (fr *FragmentInfo) parseMoof(moof []byte) error {
	return eachChild(moof, func(typ string, body []byte) error {
		switch typ {
		case "mfhd":
			if len(body) >= 8 {
				fr.Sequence = binary.BigEndian.Uint32(body[4:])
			}
		case "traf":
			run, err := parseTraf(body)
			if err != nil {
				return err
			}
			fr.Runs = append(fr.Runs, run)
		}
		return nil
	})
}

// parseTraf reads a traf written by Writer or by another muxer that puts
// per-sample durations or a default duration in tfhd.
func parseTraf(traf []byte) (RunInfo, error) {
	var run RunInfo
	var defDur, defFlags uint32
	tfhd := findPath(traf, "tfhd")
	if len(tfhd) < 8 {
		return run, fmt.Errorf("%w: traf without tfhd", ErrMalformed)
	}
	flags := binary.BigEndian.Uint32(tfhd) & 0xffffff
	run.TrackID = binary.BigEndian.Uint32(tfhd[4:])
	p := tfhd[8:]
	take := func(n int) []byte {
		if len(p) < n {
			return nil
		}
		v := p[:n]
		p = p[n:]
		return v
	}
	if flags&0x01 != 0 {
		take(8)
	}
	if flags&0x02 != 0 {
		take(4)
	}
	if flags&0x08 != 0 {
		if v := take(4); v != nil {
			defDur = binary.BigEndian.Uint32(v)
		}
	}
	if flags&0x10 != 0 {
		take(4)
	}
	if flags&0x20 != 0 {
		if v := take(4); v != nil {
			defFlags = binary.BigEndian.Uint32(v)
		}
	}
	if tfdt := findPath(traf, "tfdt"); len(tfdt) >= 12 && tfdt[0] == 1 {
		run.BaseDecodeTime = binary.BigEndian.Uint64(tfdt[4:])
	} else if len(tfdt) >= 8 {
		run.BaseDecodeTime = uint64(binary.BigEndian.Uint32(tfdt[4:]))
	}
	return run, eachChild(traf, func(typ string, trun []byte) error {
		if typ != "trun" {
			return nil
		}
		if len(trun) < 8 {
			return fmt.Errorf("%w: short trun", ErrMalformed)
		}
		tf := binary.BigEndian.Uint32(trun) & 0xffffff
		n := int(binary.BigEndian.Uint32(trun[4:]))
		q := trun[8:]
		if tf&0x01 != 0 {
			q = q[min(4, len(q)):]
		}
		firstFlags := defFlags
		if tf&0x04 != 0 && len(q) >= 4 {
			firstFlags = binary.BigEndian.Uint32(q)
			q = q[4:]
		}
		per := 0
		for _, bit := range []uint32{0x100, 0x200, 0x400, 0x800} {
			if tf&bit != 0 {
				per += 4
			}
		}
		if per*n > len(q) || n < 0 {
			return fmt.Errorf("%w: trun of %d samples in %d bytes", ErrMalformed, n, len(q))
		}
		if per == 0 { // every sample takes the defaults
			if run.Samples == 0 && n > 0 {
				run.FirstSync = firstFlags&0x00010000 == 0
			}
			run.Duration += uint64(n) * uint64(defDur)
			run.Samples += n
			return nil
		}
		for i := 0; i < n; i++ {
			s := q[i*per:]
			dur := defDur
			if tf&0x100 != 0 {
				dur = binary.BigEndian.Uint32(s)
				s = s[4:]
			}
			if tf&0x200 != 0 {
				s = s[4:]
			}
			sf := defFlags
			if tf&0x400 != 0 {
				sf = binary.BigEndian.Uint32(s)
			} else if i == 0 {
				sf = firstFlags
			}
			if run.Samples == 0 && i == 0 {
				run.FirstSync = sf&0x00010000 == 0
			}
			run.Duration += uint64(dur)
		}
		run.Samples += n
		return nil
	})
}
