package sfu

import "testing"

func TestPacketCacheWindow(t *testing.T) {
	for _, tc := range []struct {
		name           string
		seqs           []int
		expected, recv int
	}{
		{"empty", nil, 0, 0},
		{"contiguous", span(100, 200, 0), 100, 100},
		{"every tenth lost", span(0, 400, 10), 399, 360},
		{"across the wrap", span(65400, 65700, 0), 300, 300},
		{"longer than the cache", span(1000, 3000, 4), cacheSize - 1, cacheSize * 3 / 4}, // the oldest seq of the span was lost
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newPacketCache()
			for _, s := range tc.seqs {
				c.put(uint16(s), []byte{0x80, 0, 0, 0})
			}
			exp, got := c.window()
			if exp != tc.expected || got != tc.recv {
				t.Fatalf("window = %d expected, %d received; want %d, %d", exp, got, tc.expected, tc.recv)
			}
		})
	}
}

// span lists from..to-1, leaving out every nth (n 0: none).
func span(from, to, n int) []int {
	var out []int
	for s := from; s < to; s++ {
		if n > 0 && s%n == n-1 {
			continue
		}
		out = append(out, s)
	}
	return out
}
