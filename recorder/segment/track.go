package segment

import (
	"math"
	"time"

	"github.com/evalroom/evalroom/media/fmp4"
)

// trackState buffers one track's samples of the open segment. A sample's
// duration is known when the track's next sample arrives, so the newest
// sample waits in pend; samples with known durations wait in the arena
// and queue until the next fragment is written.
type trackState struct {
	t     fmp4.Track
	lead  bool
	codec fmp4.Codec
	scale float64 // ticks per nanosecond

	pend      pending
	arena     []byte
	queue     []queued
	queueBase uint64 // decode time of queue[0]
	queueUTC  time.Time
	lastDur   uint32
	end       uint64 // decode time after the last queued sample
	samples   int
}

type pending struct {
	ok      bool
	utc     time.Time
	dts     uint64
	data    []byte
	sync    bool
	nominal time.Duration
}

type queued struct {
	off, end int
	dur      uint32
	sync     bool
}

func newTrackState(t fmp4.Track) *trackState {
	ts := &trackState{t: t, codec: t.Codec}
	if t.Timescale == 0 {
		if t.Kind == fmp4.Video {
			ts.t.Timescale = fmp4.VideoTimescale
		} else {
			ts.t.Timescale = fmp4.AudioTimescale
		}
	}
	ts.scale = float64(ts.t.Timescale) / float64(time.Second)
	return ts
}

// isKey reports whether a frame of the track can start a segment: a
// video keyframe, or any audio packet.
func (s *trackState) isKey(data []byte) bool {
	switch s.codec {
	case fmp4.H264:
		return fmp4.IsKeyframe(data)
	case fmp4.VP8:
		return fmp4.IsVP8Keyframe(data)
	}
	return true
}

// ticks converts an offset from the segment start to decode time.
func (s *trackState) ticks(d time.Duration) uint64 {
	return uint64(math.Round(float64(d) * s.scale))
}

// endOffset is the end of the track's last queued sample, from the
// segment start.
func (s *trackState) endOffset() time.Duration {
	return time.Duration(math.Round(float64(s.end) / s.scale))
}

// reset empties the track for a new segment.
func (s *trackState) reset() {
	s.pend.ok = false
	s.arena = s.arena[:0]
	s.queue = s.queue[:0]
	s.end, s.samples = 0, 0
}

// push makes the pending sample final with the given duration.
func (s *trackState) push(dur uint32) {
	if len(s.queue) == 0 {
		s.queueBase, s.queueUTC = s.pend.dts, s.pend.utc
	}
	off := len(s.arena)
	s.arena = append(s.arena, s.pend.data...)
	s.queue = append(s.queue, queued{off: off, end: len(s.arena), dur: dur, sync: s.pend.sync})
	s.lastDur = dur
	s.end = s.pend.dts + uint64(dur)
	s.samples++
	s.pend.ok = false
}

// flushPending finishes the pending sample with its nominal duration: the
// frame's own, an Opus packet's, or else the track's previous one.
func (s *trackState) flushPending() {
	if !s.pend.ok {
		return
	}
	dur := s.lastDur
	switch {
	case s.pend.nominal > 0:
		dur = uint32(s.ticks(s.pend.nominal))
	case s.codec == fmp4.Opus:
		if n := fmp4.OpusPacketSamples(s.pend.data); n > 0 {
			dur = uint32(uint64(n) * uint64(s.t.Timescale) / 48000)
		}
	}
	if dur == 0 {
		dur = uint32(s.t.Timescale / 30)
	}
	s.push(dur)
}

// run returns the queued samples as an fmp4 run; samples alias the arena
// (and the caller's scratch slice) until clear.
func (s *trackState) run(scratch []fmp4.Sample) fmp4.Run {
	scratch = scratch[:0]
	for _, q := range s.queue {
		scratch = append(scratch, fmp4.Sample{Data: s.arena[q.off:q.end], Duration: q.dur, Sync: q.sync})
	}
	return fmp4.Run{TrackID: s.t.ID, BaseDecodeTime: s.queueBase, Samples: scratch}
}

func (s *trackState) clear() {
	s.arena = s.arena[:0]
	s.queue = s.queue[:0]
}
