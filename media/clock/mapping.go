package clock

import (
	"fmt"
	"math/bits"
	"time"
)

// Mapping maps an RTP stream's timestamps to UTC and back, from one
// reference pair: the RTP timestamp RTP was sampled at UTC instant At (as
// an RTCP Sender Report states it, RFC 3550 §6.4.1). The RTP clock runs
// at ClockRate ticks per second (90000 for video, 48000 for Opus).
//
// RTP timestamps are 32 bits and wrap around; Time takes the difference
// to the reference as the nearest signed distance, so a mapping answers
// for timestamps within 2^31 ticks of the reference (6.6 hours at 90 kHz,
// 12.4 hours at 48 kHz). Refresh the reference with each Sender Report.
type Mapping struct {
	ClockRate uint32
	RTP       uint32
	At        time.Time
}

// NewMapping returns a mapping of the stream clocked at rate from the
// reference pair (rtp, at). Errors: ErrInvalid for a zero rate or time.
func NewMapping(rate uint32, rtp uint32, at time.Time) (Mapping, error) {
	if rate == 0 || at.IsZero() {
		return Mapping{}, fmt.Errorf("%w: mapping needs a clock rate and a reference time", ErrInvalid)
	}
	return Mapping{ClockRate: rate, RTP: rtp, At: at.Round(0).UTC()}, nil
}

// MappingFromSR returns the mapping a Sender Report states: its NTP
// timestamp and the RTP timestamp of the same instant. Errors: ErrInvalid.
func MappingFromSR(rate uint32, ntp uint64, rtp uint32) (Mapping, error) {
	return NewMapping(rate, rtp, FromNTP(ntp))
}

// Ticks returns the signed distance in ticks from the reference to ts,
// taking the nearest one around the 32-bit wrap.
func (m Mapping) Ticks(ts uint32) int64 { return int64(int32(ts - m.RTP)) }

// Time returns the UTC instant of RTP timestamp ts.
func (m Mapping) Time(ts uint32) time.Time {
	return m.At.Add(ticksToDuration(m.Ticks(ts), m.ClockRate))
}

// Timestamp returns the RTP timestamp of instant t, rounded to the
// nearest tick; it wraps around as RTP timestamps do.
func (m Mapping) Timestamp(t time.Time) uint32 {
	d := t.Round(0).Sub(m.At)
	neg := d < 0
	if neg {
		d = -d
	}
	// ticks = d·rate/1e9, of which only the low 32 bits matter. Reducing
	// the high word modulo 1e9 changes the quotient by a multiple of 2^64
	// (so not its low bits) and keeps Div64 from overflowing.
	hi, lo := bits.Mul64(uint64(d), uint64(m.ClockRate))
	q, r := bits.Div64(hi%uint64(time.Second), lo, uint64(time.Second))
	if r >= uint64(time.Second)/2 {
		q++
	}
	ticks := uint32(q)
	if neg {
		return m.RTP - ticks
	}
	return m.RTP + ticks
}

// ticksToDuration converts ticks at rate to a duration, rounded to the
// nearest nanosecond.
func ticksToDuration(ticks int64, rate uint32) time.Duration {
	neg := ticks < 0
	if neg {
		ticks = -ticks
	}
	hi, lo := bits.Mul64(uint64(ticks), uint64(time.Second))
	q, r := bits.Div64(hi, lo, uint64(rate))
	if r*2 >= uint64(rate) {
		q++
	}
	if neg {
		return -time.Duration(q)
	}
	return time.Duration(q)
}
