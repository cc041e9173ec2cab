package draw_test

import (
	"testing"

	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/stretchr/testify/require"
)

// The fairness check: 20,000 draws of 3 from a fixed pool of 20, each with
// its own seed, tested at significance level α = 0.001 with two chi-square
// statistics, each with 19 degrees of freedom:
//
//  1. who is drawn first: a plain multinomial goodness-of-fit test,
//     X² = Σ (O−E)²/E with E = draws/20;
//  2. who is drawn at all: counts of inclusion among the 3. Draws without
//     replacement make these counts negatively correlated, so the plain
//     X² would be too small; multiplying it by (N−1)/(N−k) = 19/17 gives
//     a statistic that is again χ² with N−1 = 19 degrees of freedom.
//
// The critical value of χ²(19) at α = 0.001 is 43.820 (standard table).
// Seeds are fixed, so the test is reproducible and cannot flake.
const (
	fairPool     = 20
	fairK        = 3
	fairDraws    = 20000
	chi2Crit19At = 43.820
)

// chooser draws fairK of the pool with the given seed.
type chooser func(seed []byte, pool []int64) []int64

// uniformity runs the fairness check on choose and returns both statistics
// and whether it passed.
func uniformity(t *testing.T, choose chooser) (first, inclusion float64, pass bool) {
	t.Helper()
	pool := ids(1001, fairPool)
	firstCounts := make([]int, fairPool)
	inCounts := make([]int, fairPool)
	for i := range fairDraws {
		got := choose(testSeed("fairness", i), pool)
		require.Len(t, got, fairK)
		firstCounts[got[0]-1001]++
		for _, g := range got {
			inCounts[g-1001]++
		}
	}
	first = chiSquare(firstCounts, float64(fairDraws)/fairPool)
	inclusion = chiSquare(inCounts, float64(fairDraws*fairK)/fairPool) * float64(fairPool-1) / float64(fairPool-fairK)
	return first, inclusion, first < chi2Crit19At && inclusion < chi2Crit19At
}

func chiSquare(counts []int, expected float64) float64 {
	var x float64
	for _, o := range counts {
		d := float64(o) - expected
		x += d * d / expected
	}
	return x
}

func TestDrawIsUniform(t *testing.T) {
	first, inclusion, pass := uniformity(t, func(seed []byte, pool []int64) []int64 {
		got, err := draw.Choose(seed, "draw:1/quota:1/round:0", pool, fairK, nil, nil)
		require.NoError(t, err)
		return got
	})
	t.Logf("first pick X²=%.2f, inclusion X²=%.2f, critical %.3f", first, inclusion, chi2Crit19At)
	require.True(t, pass, "a fair draw passes the check")
}

// TestBiasedChooserFailsUniformity shows the same check catches real bugs.
func TestBiasedChooserFailsUniformity(t *testing.T) {
	cases := []struct {
		name   string
		choose chooser
	}{
		{
			// Off-by-one in Fisher–Yates: j never reaches the last index,
			// so the highest id is never drawn.
			name: "off-by-one shuffle",
			choose: func(seed []byte, pool []int64) []int64 {
				a := append([]int64(nil), pool...)
				st := draw.NewStream(seed, "biased")
				for i := range fairK {
					j := i + int(st.Uniform(uint64(len(a)-i-1)))
					a[i], a[j] = a[j], a[i]
				}
				return a[:fairK]
			},
		},
		{
			// Modulo bias: one random byte reduced mod n. 256 = 12·20 + 16,
			// so the first 16 positions are 13/12 as likely as the rest.
			name: "modulo of one byte",
			choose: func(seed []byte, pool []int64) []int64 {
				a := append([]int64(nil), pool...)
				st := draw.NewStream(seed, "biased")
				for i := range fairK {
					j := i + int(st.Uint64()>>56)%(len(a)-i)
					a[i], a[j] = a[j], a[i]
				}
				return a[:fairK]
			},
		},
		{
			// A thumb on the scale: one draw in twenty quietly puts the
			// first candidate in.
			name: "favourite candidate",
			choose: func(seed []byte, pool []int64) []int64 {
				got, err := draw.Choose(seed, "biased", pool, fairK, nil, nil)
				require.NoError(t, err)
				if draw.NewStream(seed, "thumb").Uniform(20) == 0 && got[0] != pool[0] && got[1] != pool[0] && got[2] != pool[0] {
					got[2] = pool[0]
				}
				return got
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			first, inclusion, pass := uniformity(t, tc.choose)
			t.Logf("first pick X²=%.2f, inclusion X²=%.2f, critical %.3f", first, inclusion, chi2Crit19At)
			require.False(t, pass, "a biased chooser must fail the check")
		})
	}
}
