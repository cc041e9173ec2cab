package devices_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices"
	"github.com/evalroom/evalroom/devices/synthetic"
)

func TestMicrophoneOpusBeepsOnTheSecond(t *testing.T) {
	for _, channels := range []int{1, 2} {
		t.Run(fmt.Sprintf("%dch", channels), func(t *testing.T) {
			start := time.Date(2026, 11, 22, 9, 30, 14, 970_000_000, time.UTC)
			m, err := devices.OpenMicrophone(devices.MicConfig{Name: "mic1", Device: devices.Synthetic, Channels: channels}, fakeTime(start))
			require.NoError(t, err)
			defer m.Close()
			require.Equal(t, devices.MicConfig{Name: "mic1", Device: devices.Synthetic, BitrateKbps: 32, Channels: channels}, m.Config())

			packets := readN(t, m, 150) // 3 s
			for i, p := range packets {
				require.Equal(t, start.Add(time.Duration(i)*20*time.Millisecond), p.UTC, "packet %d", i)
				require.Equal(t, 20*time.Millisecond, p.Duration)
				require.True(t, p.Key)
				require.Empty(t, p.AfterGap)
				require.NotEmpty(t, p.Data)
			}

			path := writeOgg(t, channels, packets)
			st := ffprobe(t, path)
			require.Equal(t, "opus", st.CodecName)
			require.Equal(t, channels, st.Channels)
			require.Equal(t, "48000", st.SampleRate)

			// Decoded sample j was captured at start + j/48000; each
			// beep must start on its whole second.
			pcm := decodePCM(t, path)
			require.InDelta(t, 150*960, len(pcm), 960)
			onsets := beepOnsets(pcm)
			require.Len(t, onsets, 3, "beeps at 15, 16 and 17 s")
			for k, j := range onsets {
				at := start.Add(time.Duration(j) * time.Second / 48000)
				want := time.Date(2026, 11, 22, 9, 30, 15+k, 0, time.UTC)
				t.Logf("beep %d decoded at %s (%+.3f ms)", k, at.Format("15:04:05.000000"), float64(at.Sub(want))/1e6)
				require.InDelta(t, 0, at.Sub(want).Seconds(), 0.001, "beep %d at %v", k, at)
				// And the beep lasts its 50 ms.
				require.InDelta(t, synthetic.BeepDuration.Seconds(), beepLength(pcm, j).Seconds(), 0.002)
			}
		})
	}
}

// beepOnsets returns the indexes at which the signal rises above a
// tenth of the beep's amplitude after at least 100 ms of quiet.
func beepOnsets(pcm []int16) []int {
	const threshold, quiet = 1200, 4800
	var out []int
	last := -quiet
	for j, v := range pcm {
		if v > threshold || v < -threshold {
			if j-last >= quiet {
				out = append(out, j)
			}
			last = j
		}
	}
	return out
}

// beepLength is the time from onset to the last loud sample within the
// next 100 ms.
func beepLength(pcm []int16, onset int) time.Duration {
	end := onset
	for j := onset; j < len(pcm) && j < onset+4800; j++ {
		if pcm[j] > 1200 || pcm[j] < -1200 {
			end = j
		}
	}
	return time.Duration(end-onset+1) * time.Second / 48000
}

func TestMicrophoneLostAndRecovered(t *testing.T) {
	o := fakeTime(time.Date(2026, 11, 22, 9, 30, 14, 0, time.UTC))
	m, err := devices.OpenMicrophone(devices.MicConfig{Name: "mic1", Device: devices.Synthetic}, o)
	require.NoError(t, err)
	defer m.Close()
	before := readN(t, m, 10)

	devices.BreakMicrophone(m, errors.New("no capture device"))
	lost := drainUntilLost(t, m)
	h := m.Health()
	require.Equal(t, devices.Health{Name: "mic1", Kind: "microphone", Device: devices.Synthetic,
		LastFrame: h.LastFrame, Losses: 1, LastError: h.LastError}, h)
	require.Contains(t, h.LastError, "no capture device")

	devices.RepairMicrophone(m)
	packets := append(before, lost...)
	for {
		p := readN(t, m, 1)[0]
		if p.AfterGap == "" {
			packets = append(packets, p)
			continue
		}
		require.Equal(t, "device lost: mic1", p.AfterGap)
		require.GreaterOrEqual(t, p.UTC.Sub(packets[len(packets)-1].UTC), 2*time.Second)
		break
	}
	for i := 1; i < len(packets); i++ {
		require.Equal(t, 20*time.Millisecond, packets[i].UTC.Sub(packets[i-1].UTC))
	}
	require.True(t, m.Health().Open)
}

func TestMicrophoneConfig(t *testing.T) {
	for _, cfg := range []devices.MicConfig{
		{Name: "mic/1", Device: devices.Synthetic},
		{Name: "mic", Device: devices.Synthetic, Channels: 3},
		{Name: "mic", Device: devices.Synthetic, BitrateKbps: 1000},
		{Name: "mic"},
	} {
		_, err := devices.OpenMicrophone(cfg, devices.Options{})
		require.ErrorIs(t, err, devices.ErrInvalid, "%+v", cfg)
	}
	_, err := devices.OpenMicrophone(devices.MicConfig{Name: "mic", Device: "no such microphone"}, devices.Options{})
	require.ErrorIs(t, err, devices.ErrNotFound)
}

func TestPacketizer(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	var p devices.Packetizer
	var times []time.Time
	at := t0
	// Chunks of 10.0 ms (480 samples), stereo, on time.
	for range 10 {
		ts, lens, lost := p.Push(devices.Chunk{Samples: make([]int16, 2*480), Channels: 2, At: at})
		require.False(t, lost)
		for _, l := range lens {
			require.Equal(t, 960, l)
		}
		times = append(times, ts...)
		at = at.Add(10 * time.Millisecond)
	}
	require.Len(t, times, 5)
	for i, ts := range times {
		require.Equal(t, t0.Add(time.Duration(i)*20*time.Millisecond), ts)
	}
	// A chunk 200 ms late: samples were lost; a new time line starts.
	ts, _, lost := p.Push(devices.Chunk{Samples: make([]int16, 2*960), Channels: 2, At: at.Add(200 * time.Millisecond)})
	require.True(t, lost)
	require.Equal(t, []time.Time{at.Add(200 * time.Millisecond)}, ts)
	// Jitter below the limit moves times by 1/16 of it, no more.
	at = at.Add(220 * time.Millisecond)
	ts, _, lost = p.Push(devices.Chunk{Samples: make([]int16, 2*960), Channels: 2, At: at.Add(16 * time.Millisecond)})
	require.False(t, lost)
	require.Equal(t, []time.Time{at.Add(time.Millisecond)}, ts)
}
