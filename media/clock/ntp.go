package clock

import (
	"math/bits"
	"time"
)

// ntpEpochOffset is the number of seconds from the NTP epoch (1900-01-01
// 00:00 UTC) to the Unix epoch.
const ntpEpochOffset = 2208988800

// eraSeconds is the length of one NTP era (2^32 seconds, about 136
// years).
const eraSeconds = 1 << 32

// ToNTP returns t as a 64-bit NTP timestamp (RFC 3550 §4, RFC 5905 §6):
// seconds since 1900-01-01 00:00 UTC in the high 32 bits, the fraction of
// a second in units of 2^-32 s in the low 32 bits. Times in NTP era 1
// (from 2036-02-07 06:28:16 UTC) wrap around as the format does; FromNTP
// reads them back by the convention of RFC 4330 §3.
func ToNTP(t time.Time) uint64 {
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := (uint64(t.Nanosecond()) << 32) / uint64(time.Second)
	// Round to the nearest 2^-32 s so that FromNTP(ToNTP(t)) is within
	// half a unit (0.12 ns) of t.
	if rem := (uint64(t.Nanosecond()) << 32) % uint64(time.Second); rem >= uint64(time.Second)/2 {
		frac++
	}
	return secs<<32 + frac
}

// FromNTP returns the time of a 64-bit NTP timestamp, in UTC. As RFC 4330
// §3 proposes, a timestamp whose most significant bit is clear is taken to
// lie in era 1 (2036–2104), otherwise in era 0 (1968–2036).
func FromNTP(ntp uint64) time.Time {
	secs := int64(ntp >> 32)
	if secs&(1<<31) == 0 {
		secs += eraSeconds
	}
	hi, lo := bits.Mul64(ntp&0xFFFFFFFF, uint64(time.Second))
	nanos, rem := bits.Div64(hi, lo, 1<<32)
	if rem >= 1<<31 {
		nanos++
	}
	return time.Unix(secs-ntpEpochOffset, int64(nanos)).UTC()
}

// NTPMiddle returns the middle 32 bits of a 64-bit NTP timestamp, the
// compact form RTCP receiver reports use for LSR (RFC 3550 §6.4.1).
func NTPMiddle(ntp uint64) uint32 { return uint32(ntp >> 16) }
