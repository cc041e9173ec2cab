package synthetic_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices/synthetic"
	"github.com/evalroom/evalroom/internal/testenv"
)

// fakeTime runs a device on a clock that moves only when it sleeps.
func fakeTime(t0 time.Time) (func() time.Time, func(context.Context, time.Duration) error) {
	c := testenv.NewClock(t0)
	return c.Now, func(_ context.Context, d time.Duration) error { c.Advance(d); return nil }
}

func TestVideoShowsTimeAndFlashesEachSecond(t *testing.T) {
	now, sleep := fakeTime(time.Date(2026, 11, 22, 9, 30, 14, 700_000_000, time.UTC))
	v, err := synthetic.NewVideo(synthetic.VideoParams{Width: 320, Height: 180, FPS: 15, Now: now, Sleep: sleep, Label: "1"})
	require.NoError(t, err)
	var whites []time.Time
	var prev time.Time
	for i := 0; i < 15*3; i++ {
		f, err := v.Read(context.Background())
		require.NoError(t, err)
		require.True(t, f.At.After(prev), "frame times increase")
		if !prev.IsZero() {
			require.Equal(t, time.Second/15, f.At.Sub(prev), "frames keep the cadence")
		}
		prev = f.At
		lum := meanLuma(f.Image.Y)
		if f.White {
			whites = append(whites, f.At)
			require.Equal(t, 255.0, lum, "a flash frame is entirely white")
		} else {
			require.Less(t, lum, 80.0, "other frames are dark")
			require.True(t, hasText(f.Image.Y), "the time is drawn")
		}
	}
	// 09:30:14.7 start: flashes at the first frames of 15, 16 and 17, not
	// at the first frame (it is not the start of its second).
	require.Len(t, whites, 3)
	for _, w := range whites {
		require.Less(t, time.Duration(w.Nanosecond()), time.Second/15, "a flash is the first frame of its second: %v", w)
	}
}

func TestAudioBeepsOnTheSecond(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 30, 14, 970_000_000, time.UTC)
	now, sleep := fakeTime(t0)
	a, err := synthetic.NewAudio(synthetic.AudioParams{SampleRate: 48000, Chunk: 20 * time.Millisecond, Now: now, Sleep: sleep})
	require.NoError(t, err)
	var samples []int16
	var start, next time.Time
	for i := 0; i < 50*2; i++ { // two seconds
		c, err := a.Read(context.Background())
		require.NoError(t, err)
		if i == 0 {
			start = c.At
		} else {
			require.Equal(t, next, c.At, "chunks are contiguous")
		}
		require.Len(t, c.Samples, 960)
		next = c.At.Add(20 * time.Millisecond)
		samples = append(samples, c.Samples...)
	}
	// Loudness per millisecond: loud exactly in [s, s+50 ms) of each second.
	for ms := 0; ms < len(samples)/48; ms++ {
		at := start.Add(time.Duration(ms) * time.Millisecond)
		loud := rms(samples[ms*48:(ms+1)*48]) > 1000
		inBeep := time.Duration(at.Nanosecond()) < synthetic.BeepDuration
		require.Equal(t, inBeep, loud, "at %v", at.Format("15:04:05.000"))
	}
}

func TestParametersAreChecked(t *testing.T) {
	for _, p := range []synthetic.VideoParams{{Width: 321, Height: 180}, {Width: 320, Height: -2}, {Width: 320, Height: 180, FPS: 500}} {
		_, err := synthetic.NewVideo(p)
		require.ErrorIs(t, err, synthetic.ErrInvalid)
	}
	for _, p := range []synthetic.AudioParams{{SampleRate: 44100}, {Chunk: 1500 * time.Microsecond}} {
		_, err := synthetic.NewAudio(p)
		require.ErrorIs(t, err, synthetic.ErrInvalid)
	}
}

func TestReadStopsWithItsContext(t *testing.T) {
	v, err := synthetic.NewVideo(synthetic.VideoParams{FPS: 1})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	_, err = v.Read(ctx) // the first frame is immediate
	require.NoError(t, err)
	cancel()
	_, err = v.Read(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func meanLuma(y []byte) float64 {
	var s float64
	for _, v := range y {
		s += float64(v)
	}
	return s / float64(len(y))
}

func hasText(y []byte) bool {
	for _, v := range y {
		if v > 200 {
			return true
		}
	}
	return false
}

func rms(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

func TestAudioCatchesUpAfterAShortStallAndRestartsAfterALongOne(t *testing.T) {
	c := testenv.NewClock(time.Date(2026, 11, 22, 9, 30, 14, 970_000_000, time.UTC))
	a, err := synthetic.NewAudio(synthetic.AudioParams{Now: c.Now, Sleep: func(ctx context.Context, d time.Duration) error {
		c.Advance(d)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, _ := a.Read(ctx)
	next := first.At.Add(20 * time.Millisecond)
	c.Advance(300 * time.Millisecond) // the reader stalls, within the buffer
	for i := 0; i < 15; i++ {
		ch, _ := a.Read(ctx)
		if !ch.At.Equal(next) {
			t.Fatalf("chunk %d after a 300 ms stall starts %s, want %s (no samples lost)", i, ch.At, next)
		}
		next = next.Add(20 * time.Millisecond)
	}
	c.Advance(2 * time.Second) // longer than the buffer: samples are lost
	ch, _ := a.Read(ctx)
	if ch.At.Sub(next) < time.Second {
		t.Fatalf("after a 2 s stall the chunk starts %s, want a restart near the clock (%s)", ch.At, c.Now())
	}
}

func TestTimecodeReadsBackEveryFrame(t *testing.T) {
	now, sleep := fakeTime(time.Date(2026, 11, 22, 9, 30, 14, 700_000_000, time.UTC))
	for _, size := range [][2]int{{320, 180}, {1280, 720}} {
		v, err := synthetic.NewVideo(synthetic.VideoParams{Width: size[0], Height: size[1], FPS: 30, Now: now, Sleep: sleep})
		if err != nil {
			t.Fatal(err)
		}
		read := 0
		for i := 0; i < 40; i++ {
			f, err := v.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ms, ok := synthetic.ReadTimecode(f.Image.Y, f.Image.YStride, size[0], size[1])
			if f.White {
				if ok {
					t.Fatalf("white frame at %s carries a timecode", f.At)
				}
				continue
			}
			if !ok {
				t.Fatalf("%v frame at %s: no timecode", size, f.At)
			}
			if got := synthetic.TimecodeNear(ms, f.At.Add(20*24*time.Hour)); !got.Equal(f.At.Truncate(time.Millisecond)) {
				t.Fatalf("timecode %s, frame at %s", got, f.At)
			}
			read++
		}
		if read < 38 {
			t.Fatalf("%d timecodes read", read)
		}
	}
}
