package segment

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evalroom/evalroom/media/fmp4"
)

// Frame is one coded frame handed to the Writer.
type Frame struct {
	// UTC is the capture time, corrected to the server's clock.
	UTC time.Time
	// Data is an H.264 access unit in Annex-B form (start codes), one
	// compressed VP8 frame, or one Opus packet. The Writer copies it.
	Data []byte
	// Duration is the frame's nominal duration, used only when the frame
	// is the last of a segment (otherwise the next frame's time gives it).
	// Zero means the Opus packet's duration or the track's previous one.
	Duration time.Duration
}

// Writer writes one recorder's (camera's) segments. It is safe for
// concurrent use; frames of different tracks may be written from
// different goroutines.
type Writer struct {
	mu      sync.Mutex
	p       Params
	tracks  []*trackState
	byID    map[uint32]*trackState
	lead    *trackState
	cur     *segFile
	lastFW  *fmp4.Writer
	seq     int
	gaps    []Gap
	closed  bool
	dropped int

	reorder     []*inFrame
	newest      time.Time
	watermark   time.Time // UTC of the last frame taken from the reorder queue
	leadKeyAt   int       // number of lead keyframes in the reorder queue
	free        [][]byte
	runs        []fmp4.Run
	scratch     [][]fmp4.Sample
	closedInfos []SegmentInfo
}

type inFrame struct {
	t    *trackState
	utc  time.Time
	dur  time.Duration
	data []byte
	key  bool
}

// NewWriter checks the parameters and returns a Writer. The first segment
// opens with the first video keyframe (or the first frame of an
// audio-only layout). Seq numbers continue after the highest one of the
// recorder's files in Dir; call Recover first after a crash.
func NewWriter(p Params) (*Writer, error) {
	if err := p.normalize(); err != nil {
		return nil, err
	}
	last, err := lastSeq(p.Dir, p.Recorder)
	if err != nil {
		return nil, err
	}
	w := &Writer{p: p, byID: map[uint32]*trackState{}, seq: last}
	for _, t := range p.Tracks {
		if t.ID == 0 || w.byID[t.ID] != nil {
			return nil, fmt.Errorf("%w: track ID %d zero or repeated", ErrInvalidParam, t.ID)
		}
		ts := newTrackState(t)
		if t.Kind == fmp4.Video {
			ts.lead, w.lead = true, ts
		}
		w.tracks = append(w.tracks, ts)
		w.byID[t.ID] = ts
	}
	if w.lead == nil {
		w.tracks[0].lead = true
	}
	w.scratch = make([][]fmp4.Sample, len(w.tracks))
	return w, nil
}

// WriteFrame adds a frame of a track. Frames wait up to Params.Reorder
// (in media time) so that all tracks are written in UTC order. It returns
// ErrUnknownTrack, ErrEmptyFrame, ErrLate (a frame older than what was
// already written), ErrNeedKeyframe (no segment open and the frame cannot
// start one), ErrClosed, or a file error from writing earlier frames;
// with any of the first five the frame is dropped.
func (w *Writer) WriteFrame(trackID uint32, f Frame) error {
	w.mu.Lock()
	err := w.writeFrame(trackID, f)
	infos := w.takeClosed()
	w.mu.Unlock()
	w.deliver(infos)
	return err
}

func (w *Writer) writeFrame(trackID uint32, f Frame) error {
	if w.closed {
		return ErrClosed
	}
	t := w.byID[trackID]
	if t == nil {
		return fmt.Errorf("%w: %d", ErrUnknownTrack, trackID)
	}
	if len(f.Data) == 0 || f.UTC.IsZero() {
		return ErrEmptyFrame
	}
	if !w.watermark.IsZero() && f.UTC.Before(w.watermark) {
		w.dropped++
		return fmt.Errorf("%w: track %d frame at %s, already written up to %s",
			ErrLate, trackID, f.UTC.Format(time.RFC3339Nano), w.watermark.Format(time.RFC3339Nano))
	}
	key := t.isKey(f.Data)
	if w.cur == nil && w.leadKeyAt == 0 && !(t.lead && key) {
		w.dropped++
		return fmt.Errorf("%w: track %d", ErrNeedKeyframe, trackID)
	}
	in := &inFrame{t: t, utc: f.UTC, dur: f.Duration, key: key, data: append(w.buffer(), f.Data...)}
	if t.lead && key {
		w.leadKeyAt++
	}
	// Insert in UTC order; frames usually arrive in order, so search from
	// the end.
	i := len(w.reorder)
	for i > 0 && w.reorder[i-1].utc.After(f.UTC) {
		i--
	}
	w.reorder = append(w.reorder, nil)
	copy(w.reorder[i+1:], w.reorder[i:])
	w.reorder[i] = in
	if f.UTC.After(w.newest) {
		w.newest = f.UTC
	}
	return w.drain(false)
}

// drain processes the frames that have waited long enough, or all.
func (w *Writer) drain(all bool) error { return w.drainBefore(time.Time{}, all) }

// drainBefore processes the waiting frames as drain does, but, when before
// is set, none at or after it.
func (w *Writer) drainBefore(before time.Time, all bool) error {
	var errs []error
	for len(w.reorder) > 0 {
		in := w.reorder[0]
		if !before.IsZero() && !in.utc.Before(before) {
			break
		}
		if !all && w.p.Reorder > 0 && w.newest.Sub(in.utc) < w.p.Reorder {
			break
		}
		w.reorder[0] = nil
		w.reorder = w.reorder[1:]
		if in.t.lead && in.key {
			w.leadKeyAt--
		}
		w.watermark = in.utc
		if err := w.process(in); err != nil {
			errs = append(errs, err)
		}
		w.free = append(w.free, in.data[:0])
	}
	return errors.Join(errs...)
}

func (w *Writer) buffer() []byte {
	if n := len(w.free); n > 0 {
		b := w.free[n-1]
		w.free = w.free[:n-1]
		return b
	}
	return nil
}

// process writes one frame in UTC order: it starts and ends segments,
// gives the track's previous sample its duration and writes a fragment
// when one is due.
func (w *Writer) process(in *inFrame) error {
	t := in.t
	if w.cur != nil && t.lead && in.key && in.utc.Sub(w.cur.start) >= w.p.Length {
		// Cut: the lead track's last frame ends where this keyframe starts.
		if t.pend.ok {
			t.push(uint32(t.ticks(in.utc.Sub(w.cur.start)) - t.pend.dts))
		}
		if err := w.finish(); err != nil {
			return err
		}
	}
	if w.cur == nil {
		if !(t.lead && in.key) {
			w.dropped++
			return nil // before the first keyframe: nothing to attach it to
		}
		if err := w.open(in.utc, w.layout(in.data)); err != nil {
			return err
		}
	}
	off := in.utc.Sub(w.cur.start)
	if off < 0 {
		w.dropped++
		return fmt.Errorf("%w: track %d frame %s before the segment start", ErrLate, t.t.ID, -off)
	}
	dts := t.ticks(off)
	if t.pend.ok {
		if dts <= t.pend.dts {
			w.dropped++
			return fmt.Errorf("%w: track %d frame at %s does not follow the previous one", ErrLate, t.t.ID, in.utc.Format(time.RFC3339Nano))
		}
		t.push(uint32(dts - t.pend.dts))
	}
	t.pend = pending{ok: true, utc: in.utc, dts: dts, sync: in.key, nominal: in.dur, data: t.pend.data[:0]}
	if t.codec == fmp4.H264 {
		t.pend.data = fmp4.AnnexBToAVCC(t.pend.data, in.data)
	} else {
		t.pend.data = append(t.pend.data, in.data...)
	}
	if w.cur.fragStart.IsZero() {
		w.cur.fragStart = in.utc
	} else if in.utc.Sub(w.cur.fragStart) >= w.p.FragmentLength {
		if err := w.writeFragment(); err != nil {
			return w.fail(err)
		}
		w.cur.fragStart = in.utc
	}
	return nil
}

// fail ends a segment whose file could not be written: finish truncates
// it to its last complete fragment. The frames in the failed fragment are
// lost; the caller sees the error.
func (w *Writer) fail(err error) error {
	for _, t := range w.tracks {
		t.pend.ok = false
	}
	s := w.cur
	_ = s.f.Truncate(s.good)
	ferr := w.finish()
	return errors.Join(fmt.Errorf("segment %s: %w", s.part, err), ferr)
}

// layout returns the tracks of a new segment, the video description
// taken from its first keyframe: H.264 parameter sets when present there,
// the VP8 picture size and version.
func (w *Writer) layout(key []byte) []fmp4.Track {
	tracks := make([]fmp4.Track, len(w.tracks))
	for i, t := range w.tracks {
		tracks[i] = t.t
		switch t.codec {
		case fmp4.H264:
			if sps, pps := fmp4.ParameterSets(key); sps != nil && pps != nil {
				tracks[i].SPS, tracks[i].PPS = sps, pps
				tracks[i].Width, tracks[i].Height = 0, 0
			}
		case fmp4.VP8:
			if h, err := fmp4.ParseVP8(key); err == nil && h.Key {
				tracks[i].Width, tracks[i].Height, tracks[i].VP8Version = h.Width, h.Height, h.Version
			}
		}
	}
	return tracks
}

// MarkGap records that media is missing from from to to, for a reason.
// It writes the frames waiting in the reorder window from before to,
// closes the open segment and lists the gap in its SegmentInfo (or the
// next segment's if none is open). Frames from to on (another track's,
// already waiting) stay for the next segment, which starts with the next
// video keyframe, so the frame that ends the gap is never late.
func (w *Writer) MarkGap(from, to time.Time, reason string) error {
	w.mu.Lock()
	err := w.markGap(Gap{From: from.UTC(), To: to.UTC(), Reason: reason})
	infos := w.takeClosed()
	w.mu.Unlock()
	w.deliver(infos)
	return err
}

func (w *Writer) markGap(g Gap) error {
	if w.closed {
		return ErrClosed
	}
	err := w.drainBefore(g.To, true)
	if w.cur == nil {
		w.gaps = append(w.gaps, g)
		return err
	}
	w.cur.gaps = append(w.cur.gaps, g)
	return errors.Join(err, w.finish())
}

// Dropped returns the number of frames dropped so far (before a keyframe
// or out of order).
func (w *Writer) Dropped() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Close writes the frames still waiting, closes the open segment and
// makes the Writer refuse further frames. It is idempotent.
func (w *Writer) Close() error {
	w.mu.Lock()
	var err error
	if !w.closed {
		err = errors.Join(w.drain(true), w.finish())
		w.closed = true
	}
	infos := w.takeClosed()
	w.mu.Unlock()
	w.deliver(infos)
	return err
}

func (w *Writer) takeClosed() []SegmentInfo {
	infos := w.closedInfos
	w.closedInfos = nil
	return infos
}

func (w *Writer) deliver(infos []SegmentInfo) {
	if w.p.OnClosed == nil {
		return
	}
	for _, info := range infos {
		w.p.OnClosed(info)
	}
}
