package clock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/evalroom/evalroom/media/clock"
	"github.com/stretchr/testify/require"
)

func TestMapping(t *testing.T) {
	ref := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		rate uint32
		rtp  uint32
		ts   uint32
		want time.Duration
	}{
		{"video one second later", 90000, 1000, 91000, time.Second},
		{"video three frames earlier", 90000, 10000, 10000 - 9000, -ms(100)},
		{"audio across the wrap", 48000, 0xFFFFFF00, 0x00000100, 10_666_667}, // 512 ticks, rounded to the nanosecond,
		{"audio before the reference across the wrap", 48000, 0x00000010, 0xFFFFFFF0, -666_667},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := clock.NewMapping(tc.rate, tc.rtp, ref)
			require.NoError(t, err)
			got := m.Time(tc.ts)
			require.Equal(t, tc.want, got.Sub(ref).Round(time.Nanosecond), "got %s", got)
			require.Equal(t, tc.ts, m.Timestamp(got), "timestamp back")
		})
	}
}

func TestMappingFromSR(t *testing.T) {
	at := time.Date(2026, 11, 23, 8, 0, 0, 500_000_000, time.UTC)
	m, err := clock.MappingFromSR(90000, clock.ToNTP(at), 4_000_000_000)
	require.NoError(t, err)
	require.True(t, m.Time(4_000_000_000+45000).Equal(at.Add(500*time.Millisecond)))
	// Six hours on, the 32-bit timestamp has wrapped, but it lies within
	// 2^31 ticks (6.6 hours at 90 kHz) of the reference, so it is mapped.
	later := at.Add(6 * time.Hour)
	ts := m.Timestamp(later)
	require.Less(t, ts, uint32(4_000_000_000), "wrapped")
	require.True(t, m.Time(ts).Equal(later))

	_, err = clock.NewMapping(0, 0, at)
	require.True(t, errors.Is(err, clock.ErrInvalid))
}
