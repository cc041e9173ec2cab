package clock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/evalroom/evalroom/media/clock"
	"github.com/stretchr/testify/require"
)

var base = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestSampleOffsetAndDelay(t *testing.T) {
	cases := []struct {
		name                   string
		t1, t2, t3, t4         time.Duration // from base
		offset, delay, boundOK time.Duration
	}{
		// Server 7.3 s ahead, 10 ms each way, 1 ms processing.
		{"symmetric", 0, ms(7310), ms(7311), ms(21), ms(7300), ms(20), ms(10)},
		// 50 ms out, 2 ms back: θ is off by 24 ms, within δ/2 = 26 ms.
		{"asymmetric", 0, ms(7350), ms(7350), ms(52), ms(7324), ms(52), ms(26)},
		// Server behind.
		{"server behind", 0, ms(-995), ms(-994), ms(11), ms(-1000), ms(10), ms(5)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := clock.Sample{T1: base.Add(tc.t1), T2: base.Add(tc.t2), T3: base.Add(tc.t3), T4: base.Add(tc.t4)}
			require.NoError(t, s.Check())
			require.Equal(t, tc.offset, s.Offset())
			require.Equal(t, tc.delay, s.Delay())
			require.Equal(t, tc.boundOK, s.ErrorBound())
		})
	}
}

func TestSampleCheck(t *testing.T) {
	cases := []struct {
		name string
		s    clock.Sample
	}{
		{"missing t2", clock.Sample{T1: base, T3: base, T4: base}},
		{"server sent before it received", clock.Sample{T1: base, T2: base.Add(ms(5)), T3: base.Add(ms(4)), T4: base.Add(ms(10))}},
		{"answer before request", clock.Sample{T1: base, T2: base, T3: base, T4: base.Add(-ms(1))}},
		{"processing longer than the round trip", clock.Sample{T1: base, T2: base, T3: base.Add(ms(30)), T4: base.Add(ms(10))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.True(t, errors.Is(tc.s.Check(), clock.ErrBadSample))
		})
	}
}
