package synthetic

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Beep is the tone that marks each whole UTC second.
const (
	BeepHz       = 1000
	BeepDuration = 50 * time.Millisecond
)

// AudioParams shape a synthetic microphone.
type AudioParams struct {
	// SampleRate in Hz (default 48000).
	SampleRate int
	// Chunk is the duration of one Read (default 20 ms, a multiple of 1 ms).
	Chunk time.Duration
	// Now and Sleep as in VideoParams.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Buffer is how far a reader may fall behind before samples are lost,
	// like a sound card's ring buffer (default 500 ms): a reader that
	// stalls for less gets the missed chunks at once, in order.
	Buffer time.Duration
}

// Chunk is a run of mono 16-bit samples starting at At.
type Chunk struct {
	Samples []int16
	At      time.Time
}

// Audio is a synthetic microphone. It is not safe for concurrent reads.
type Audio struct {
	p    AudioParams
	n    int // samples per chunk
	next time.Time
	buf  [2][]int16
	flip int
}

// NewAudio returns a microphone; it validates p.
func NewAudio(p AudioParams) (*Audio, error) {
	if p.SampleRate == 0 {
		p.SampleRate = 48000
	}
	if p.Chunk == 0 {
		p.Chunk = 20 * time.Millisecond
	}
	switch {
	case p.SampleRate < 8000 || p.SampleRate > 192000 || p.SampleRate%1000 != 0:
		return nil, fmt.Errorf("%w: sample rate %d", ErrInvalid, p.SampleRate)
	case p.Chunk < time.Millisecond || p.Chunk > time.Second || p.Chunk%time.Millisecond != 0:
		return nil, fmt.Errorf("%w: chunk %v", ErrInvalid, p.Chunk)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Buffer <= 0 {
		p.Buffer = 500 * time.Millisecond
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	n := int(int64(p.SampleRate) * int64(p.Chunk) / int64(time.Second))
	a := &Audio{p: p, n: n}
	for i := range a.buf {
		a.buf[i] = make([]int16, n)
	}
	return a, nil
}

// Read waits until the chunk after the previous one has been "captured"
// and returns it. Chunks follow each other without gaps or overlaps in
// sample time; a reader that fell behind by less than Buffer catches up
// (the chunks come at once), after a longer stall the next chunk restarts
// at the current time (the gap is visible in At). The samples are reused
// two reads later.
func (a *Audio) Read(ctx context.Context) (Chunk, error) {
	now := a.p.Now()
	if a.next.IsZero() {
		// Start on a whole millisecond so samples sit on a fixed grid.
		a.next = now.UTC().Truncate(time.Millisecond)
	}
	end := a.next.Add(a.p.Chunk)
	if d := end.Sub(now); d > 0 {
		if err := a.p.Sleep(ctx, d); err != nil {
			return Chunk{}, err
		}
	} else if -d > a.p.Buffer {
		a.next = now.UTC().Truncate(time.Millisecond).Add(-a.p.Chunk)
		end = a.next.Add(a.p.Chunk)
	}
	at := a.next
	a.next = end
	out := a.buf[a.flip]
	a.flip ^= 1
	a.fill(out, at)
	return Chunk{Samples: out, At: at}, nil
}

// fill computes the samples starting at instant at: the beep during the
// first BeepDuration of each whole second, silence otherwise.
func (a *Audio) fill(out []int16, at time.Time) {
	rate := int64(a.p.SampleRate)
	// Sample index within the current second of the first sample.
	ns := int64(at.Nanosecond())
	idx := ns * rate / int64(time.Second)
	beep := int64(BeepDuration) * rate / int64(time.Second)
	for i := range out {
		k := (idx + int64(i)) % rate
		if k < beep {
			out[i] = int16(12000 * math.Sin(2*math.Pi*BeepHz*float64(k)/float64(rate)))
		} else {
			out[i] = 0
		}
	}
}
