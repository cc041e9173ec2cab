package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// seqTracker counts the distinct RTP sequence numbers received on one
// track and how many were expected between the first and the highest
// (RFC 3550 §A.3), so loss = expected − received. Duplicates
// (retransmissions) are counted once; packets older than the first are
// ignored.
type seqTracker struct {
	started  bool
	base     uint64 // extended sequence number of the first packet
	highest  uint64
	seen     []uint64 // bit i: base+i received
	distinct uint64
	dups     uint64
}

func (s *seqTracker) add(seq uint16) {
	if !s.started {
		s.started = true
		s.base = 1<<16 + uint64(seq) // room below for reordered packets
		s.highest = s.base
	}
	// Extend seq to 64 bits relative to the highest seen so far.
	ext := uint64(int64(s.highest) + int64(int16(seq-uint16(s.highest))))
	if ext < s.base {
		return
	}
	i := ext - s.base
	for uint64(len(s.seen))*64 <= i {
		s.seen = append(s.seen, 0)
	}
	if s.seen[i/64]&(1<<(i%64)) != 0 {
		s.dups++
		return
	}
	s.seen[i/64] |= 1 << (i % 64)
	s.distinct++
	if ext > s.highest {
		s.highest = ext
	}
}

// expected is the number of packets from the first to the highest.
func (s *seqTracker) expected() uint64 {
	if !s.started {
		return 0
	}
	return s.highest - s.base + 1
}

// lost is expected minus distinct received.
func (s *seqTracker) lost() uint64 { return s.expected() - s.distinct }

// percentile returns the p-th percentile (0..100) of sorted samples, by
// nearest rank; 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sortedCopy(d []time.Duration) []time.Duration {
	out := slices.Clone(d)
	slices.Sort(out)
	return out
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on every
// Linux build we run on).
const clockTicks = 100

// processCPU returns the user+system CPU time used so far by pid.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("cpu of pid %d: %w", pid, err)
	}
	// Fields after "(comm)": state is field 3; utime 14, stime 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu of pid %d: short /proc stat", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cpu of pid %d: bad /proc stat", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// parseBitrate reads "1.5M", "800k" or "2000000" as bits per second.
func parseBitrate(s string) (int, error) {
	mult := 1.0
	t := strings.TrimSpace(s)
	switch {
	case strings.HasSuffix(t, "M") || strings.HasSuffix(t, "m"):
		mult, t = 1e6, t[:len(t)-1]
	case strings.HasSuffix(t, "k") || strings.HasSuffix(t, "K"):
		mult, t = 1e3, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v*mult < 50e3 || v*mult > 50e6 {
		return 0, fmt.Errorf("bitrate %q: want 50k to 50M, e.g. 1.5M", s)
	}
	return int(v * mult), nil
}
