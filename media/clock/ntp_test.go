package clock_test

import (
	"testing"
	"time"

	"github.com/evalroom/evalroom/media/clock"
	"github.com/stretchr/testify/require"
)

func TestNTPTimestamps(t *testing.T) {
	cases := []struct {
		name string
		t    time.Time
		ntp  uint64
	}{
		{"unix epoch", time.Unix(0, 0), 2208988800 << 32},
		{"half a second", time.Unix(0, 500_000_000), 2208988800<<32 | 0x80000000},
		{"2026", time.Date(2026, 11, 23, 8, 0, 0, 250_000_000, time.UTC), uint64(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC).Unix()+2208988800)<<32 | 0x40000000},
		// Era 1 begins when the 32-bit seconds wrap (RFC 4330 §3).
		{"start of era 1", time.Date(2036, 2, 7, 6, 28, 16, 0, time.UTC), 0},
		{"era 1", time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), uint64(time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC).Unix()+2208988800-1<<32) << 32},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.ntp, clock.ToNTP(tc.t))
			require.True(t, tc.t.Equal(clock.FromNTP(tc.ntp)), "%s != %s", tc.t, clock.FromNTP(tc.ntp))
		})
	}
}

func TestNTPRoundTrip(t *testing.T) {
	for _, ns := range []int{0, 1, 123_456_789, 999_999_999} {
		// 2040 lies after the 2036 wrap of the seconds (era 1).
		for _, year := range []int{2027, 2040} {
			in := time.Date(year, 3, 4, 5, 6, 7, ns, time.UTC)
			out := clock.FromNTP(clock.ToNTP(in))
			require.True(t, in.Equal(out), "%d ns: %s became %s", ns, in, out)
		}
	}
	ntp := clock.ToNTP(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.Equal(t, uint32(ntp>>16), clock.NTPMiddle(ntp))
}
