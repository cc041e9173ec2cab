package synthetic

import "time"

// The timecode strip: every frame but the white ones carries its capture
// instant in a band along its bottom edge, machine-readable after lossy
// coding, so that tests measure a recording's timing from any decoded
// frame to the millisecond instead of to the frame period.
//
// The band is the bottom ninth of the picture, two rows of 16 blocks
// across the full width. Bit i (0 = most significant) of the capture
// time's Unix milliseconds modulo 2^32 is the block in row i/16, column
// i%16: light (luma 235) for 1, black (16) for 0.
const (
	timecodeBits = 32
	timecodeCols = 16
	bitOn        = 235
	bitOff       = 16
)

// timecodeBand returns the band's top row and the height of one row of
// blocks.
func timecodeBand(h int) (top, rowH int) {
	rowH = max(2, h/18)
	return h - 2*rowH, rowH
}

// paintTimecode draws at's timecode into the luma plane.
func paintTimecode(y []byte, stride, w, h int, at time.Time) {
	ms := uint32(at.UnixMilli())
	top, rowH := timecodeBand(h)
	for i := range timecodeBits {
		v := byte(bitOff)
		if ms&(1<<(timecodeBits-1-i)) != 0 {
			v = bitOn
		}
		x0, x1 := (i%timecodeCols)*w/timecodeCols, (i%timecodeCols+1)*w/timecodeCols
		y0 := top + (i/timecodeCols)*rowH
		for yy := y0; yy < y0+rowH; yy++ {
			row := y[yy*stride:]
			for xx := x0; xx < x1; xx++ {
				row[xx] = v
			}
		}
	}
}

// ReadTimecode reads the timecode from a decoded frame's luma plane (w×h,
// one byte per pixel, rows of stride bytes). It returns the capture
// instant's Unix milliseconds modulo 2^32, and false when the frame holds
// no readable timecode (a white frame, a picture too damaged to tell a
// block's value).
func ReadTimecode(luma []byte, stride, w, h int) (uint32, bool) {
	if w < timecodeCols*2 || h < 36 || len(luma) < stride*h {
		return 0, false
	}
	top, rowH := timecodeBand(h)
	var ms uint32
	for i := range timecodeBits {
		x0, x1 := (i%timecodeCols)*w/timecodeCols, (i%timecodeCols+1)*w/timecodeCols
		y0 := top + (i/timecodeCols)*rowH
		// Average the block's inner half, away from coding edges.
		sum, n := 0, 0
		for yy := y0 + rowH/4; yy < y0+rowH-rowH/4; yy++ {
			for xx := x0 + (x1-x0)/4; xx < x1-(x1-x0)/4; xx++ {
				sum += int(luma[yy*stride+xx])
				n++
			}
		}
		switch avg := sum / max(n, 1); {
		case avg > 170:
			ms |= 1 << (timecodeBits - 1 - i)
		case avg < 80:
		default:
			return 0, false
		}
	}
	// An all-light or all-dark band is a white or black picture, not a
	// timecode (those two values recur for 1 ms every 49.7 days).
	return ms, ms != 0 && ms != 1<<32-1
}

// TimecodeNear returns the instant whose timecode is ms that lies nearest
// to near (the timecode repeats every 2^32 ms, about 49.7 days).
func TimecodeNear(ms uint32, near time.Time) time.Time {
	base := near.UnixMilli()
	cand := base&^(1<<32-1) | int64(ms)
	for _, c := range []int64{cand - 1<<32, cand + 1<<32} {
		if abs64(c-base) < abs64(cand-base) {
			cand = c
		}
	}
	return time.UnixMilli(cand).UTC()
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
