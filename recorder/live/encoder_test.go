package live_test

import (
	"context"
	"sync"
	"time"

	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/recorder/live"
)

// encoder plays the recorder's encoder: it writes a mic frame every
// 20 ms and a frame of each camera every 60 ms, a keyframe when the
// publisher asks for one, and remembers what it wrote.
type encoder struct {
	pub    *live.Publisher
	now    func() time.Time
	tracks []live.Track

	mu      sync.Mutex
	wantKey map[string]bool
	asked   map[string]int
	written map[string]map[string]written // track → data → frame
}

type written struct {
	utc time.Time
	key bool
}

func newEncoder(tracks []live.Track, now func() time.Time) *encoder {
	e := &encoder{tracks: tracks, now: now, wantKey: map[string]bool{}, asked: map[string]int{},
		written: map[string]map[string]written{}}
	for _, t := range tracks {
		e.written[t.ID] = map[string]written{}
	}
	return e
}

// onKeyframe is the publisher's OnKeyframe.
func (e *encoder) onKeyframe(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.wantKey[id] = true
	e.asked[id]++
}

func (e *encoder) keyframesAsked(id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.asked[id]
}

// lookup returns the written frame whose data is data.
func (e *encoder) lookup(id string, data []byte) (written, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.written[id][string(data)]
	return w, ok
}

// run writes frames until ctx ends.
func (e *encoder) run(ctx context.Context) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, t := range e.tracks {
			if t.Codec != frame.Opus && i%3 != 0 {
				continue
			}
			e.mu.Lock()
			key := t.Codec == frame.Opus || e.wantKey[t.ID] || i%90 == 0
			if t.Codec != frame.Opus {
				e.wantKey[t.ID] = false
			}
			f := frame.Frame{UTC: e.now(), Data: payload(t.Codec, i, key), Key: key, Duration: 20 * time.Millisecond}
			e.written[t.ID][string(f.Data)] = written{utc: f.UTC, key: key}
			e.mu.Unlock()
			e.pub.Write(t.ID, f)
		}
	}
}

// payload is frame i of codec c: for H.264 an Annex-B access unit (SPS,
// PPS and an IDR slice for a keyframe, one or two slices otherwise),
// large enough to be fragmented; the bytes depend on i and hold no start
// code.
func payload(c frame.Codec, i int, key bool) []byte {
	fill := func(head []byte, n int) []byte {
		b := append([]byte(nil), head...)
		for k := range n {
			b = append(b, byte(1+(i*31+k)%251))
		}
		return b
	}
	start := []byte{0, 0, 0, 1}
	switch c {
	case frame.H264:
		var au []byte
		if key {
			au = append(au, start...)
			au = append(au, 0x67, 0x42, 0xe0, 0x1f, 0xda, byte(1+i%200))
			au = append(au, start...)
			au = append(au, 0x68, 0xce, 0x3c, 0x80)
			au = append(au, start...)
			return append(au, fill([]byte{0x65, 0x88}, 3000+i%500)...)
		}
		au = append(au, start...)
		au = append(au, fill([]byte{0x41, 0x9a}, 200+(i*97)%2300)...)
		if i%2 == 0 {
			au = append(au, start...)
			au = append(au, fill([]byte{0x41, 0x9b}, 100+i%50)...)
		}
		return au
	case frame.VP8:
		head := byte(0x01) // inter frame
		if key {
			head = 0x00
		}
		return fill([]byte{head, byte(1 + i%250)}, 1500+(i*53)%2500)
	default:
		return fill([]byte{0xfc}, 60+i%40)
	}
}
