package fmp4

import "time"

// ntpEpoch is the origin of NTP timestamps (RFC 5905 6): 1900-01-01 UTC.
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// NTPTime returns t as a 64-bit NTP timestamp: seconds since 1900 modulo
// 2^32 in the high 32 bits, the binary fraction of a second in the low 32
// bits (RFC 5905 6). Seconds wrap in February 2036; FromNTP reads a value
// whose top bit is clear as lying after the wrap (RFC 4330 3), so times
// from 1968 to 2104 round-trip.
func NTPTime(t time.Time) uint64 {
	d := t.Sub(ntpEpoch)
	sec := uint64(d/time.Second) & 0xffffffff
	frac := uint64(d%time.Second) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// FromNTP is the inverse of NTPTime, to the nanosecond.
func FromNTP(v uint64) time.Time {
	sec := v >> 32
	if sec&0x80000000 == 0 {
		sec += 1 << 32 // era 1: 2036-02-07 onwards
	}
	frac := time.Duration(((v&0xffffffff)*uint64(time.Second) + 1<<31) >> 32)
	return ntpEpoch.Add(time.Duration(sec)*time.Second + frac).UTC()
}
