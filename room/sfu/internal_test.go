package sfu

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestResolveLayer(t *testing.T) {
	all := [maxLayers]bool{true, true, true}
	for _, tc := range []struct {
		name  string
		avail [maxLayers]bool
		q     int
		want  int
	}{
		{"exact", all, 1, 1},
		{"high", all, 2, 2},
		{"below missing", [maxLayers]bool{true, false, true}, 1, 0},
		{"only high", [maxLayers]bool{false, false, true}, 0, 2},
		{"single layer", [maxLayers]bool{true, false, false}, 2, 0},
		{"none", [maxLayers]bool{}, 1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, resolveLayer(tc.avail, tc.q)) })
	}
}

func TestKeyframes(t *testing.T) {
	for _, tc := range []struct {
		name, mime string
		payload    []byte
		key        bool
	}{
		{"vp8 key", "video/VP8", []byte{0x10, 0x00, 0x9d}, true},
		{"vp8 delta", "video/VP8", []byte{0x10, 0x01, 0x9d}, false},
		{"vp8 continuation", "video/VP8", []byte{0x00, 0x00}, false},
		{"vp8 key with picture id", "video/VP8", []byte{0x90, 0x80, 0x81, 0x23, 0x00}, true},
		{"vp8 delta with picture id", "video/VP8", []byte{0x90, 0x80, 0x05, 0x01}, false},
		{"h264 idr", "video/H264", []byte{0x65, 0x88}, true},
		{"h264 sps in stap-a", "video/H264", []byte{0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}, true},
		{"h264 fu-a idr start", "video/H264", []byte{0x7c, 0x85, 0x00}, true},
		{"h264 fu-a idr middle", "video/H264", []byte{0x7c, 0x05, 0x00}, false},
		{"h264 non-idr", "video/H264", []byte{0x41, 0x9a}, false},
		{"empty", "video/VP8", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.key, isKeyframe(tc.mime, tc.payload)) })
	}
}

func TestAllocatorDropsUnderCongestionAndBacksOff(t *testing.T) {
	var a allocator
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func(est, sending int64) int {
		now = now.Add(allocateInterval)
		return a.step(now, est, sending)
	}
	require.Equal(t, 0, tick(5_000_000, 2_000_000), "room to spare")
	require.Equal(t, 0, tick(1_000_000, 2_000_000), "one congested tick is not enough")
	require.Equal(t, 1, tick(1_000_000, 2_000_000), "two in a row drop a layer")
	require.Equal(t, 1, tick(1_000_000, 400_000))
	for range int(minBackoff/allocateInterval) - 2 {
		require.Equal(t, 1, tick(1_000_000, 400_000), "holds during the backoff")
	}
	require.Equal(t, 0, tick(1_000_000, 400_000), "gives the layer back after the backoff")
	// Congested again right after the raise: drop, and wait twice as long.
	tick(1_000_000, 2_000_000)
	require.Equal(t, 1, tick(1_000_000, 2_000_000))
	require.Equal(t, 2*minBackoff, a.backoff)
	require.Equal(t, 2, func() int { tick(100_000, 400_000); return tick(100_000, 400_000) }(), "down to the lowest")
	require.Equal(t, 2, func() int { tick(10_000, 150_000); return tick(10_000, 150_000) }(), "never below the lowest layer")
}

func TestSpeakingDetector(t *testing.T) {
	d := newSpeakingDetector(48000)
	var ts uint32
	feed := func(level uint8, packets int) (changes []bool) {
		for range packets {
			if changed, on := d.observe(ts, level); changed {
				changes = append(changes, on)
			}
			ts += 960
		}
		return changes
	}
	require.Empty(t, feed(127, 50), "silence")
	require.Equal(t, []bool{true}, feed(20, 50), "loud: speaking")
	require.Empty(t, feed(20, 50), "still speaking")
	require.Equal(t, []bool{false}, feed(110, 50), "quiet again")
}
