package segment

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalroom/evalroom/internal/fsutil"
	"github.com/evalroom/evalroom/media/fmp4"
)

// segFile is the open segment.
type segFile struct {
	f         *os.File
	part      string
	seq       int
	start     time.Time
	fw        *fmp4.Writer
	good      int64 // bytes of complete boxes written
	gaps      []Gap
	fragStart time.Time // UTC of the oldest unwritten sample
}

// open creates the .part file of a segment starting at start and writes
// its header.
func (w *Writer) open(start time.Time, tracks []fmp4.Track) error {
	seq := w.seq + 1
	part := filepath.Join(w.p.Dir, strings.TrimSuffix(FileName(w.p.Recorder, start, seq), Ext)+PartExt)
	out := &fileOut{}
	fw, err := fmp4.NewWriter(out, tracks...)
	if err != nil {
		return fmt.Errorf("segment %s: %w", part, err)
	}
	fw.TakeBuffer(w.lastFW)
	w.lastFW = fw
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("segment: create: %w", err)
	}
	out.f = f
	s := &segFile{f: f, part: part, seq: seq, start: start, fw: fw}
	n, err := fw.WriteHeader(fmp4.Header{UTCStart: start, Tags: w.p.Tags})
	if err == nil && w.p.Fsync == FsyncFragment {
		if err = f.Sync(); err == nil {
			err = fsutil.SyncDir(w.p.Dir)
		}
	}
	if err != nil {
		f.Close()
		os.Remove(part)
		return fmt.Errorf("segment %s: %w", part, err)
	}
	s.good = int64(n)
	s.gaps, w.gaps = w.gaps, nil
	w.seq, w.cur = seq, s
	return nil
}

// writeFragment writes the queued samples of all tracks as one fragment.
func (w *Writer) writeFragment() error {
	s := w.cur
	w.runs = w.runs[:0]
	var utc time.Time
	for i, t := range w.tracks {
		if len(t.queue) == 0 {
			continue
		}
		if len(w.runs) == 0 {
			utc = t.queueUTC
		}
		w.runs = append(w.runs, t.run(w.scratch[i]))
		w.scratch[i] = w.runs[len(w.runs)-1].Samples
	}
	if len(w.runs) == 0 {
		return nil
	}
	n, err := s.fw.WriteFragment(fmp4.Fragment{UTC: utc, Runs: w.runs})
	for _, t := range w.tracks {
		t.clear()
	}
	s.fragStart = time.Time{}
	if err != nil {
		return err
	}
	if w.p.Fsync == FsyncFragment {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("segment: fsync %s: %w", s.part, err)
		}
	}
	s.good += int64(n)
	return nil
}

// finish ends the open segment: the pending samples get their nominal
// durations, the last fragment is written, the file synced, closed and
// renamed. With a write error the file is cut back to its last complete
// fragment and still renamed (Truncated). The info is queued for
// OnClosed.
func (w *Writer) finish() error {
	s := w.cur
	if s == nil {
		return nil
	}
	for _, t := range w.tracks {
		t.flushPending()
	}
	info := SegmentInfo{Recorder: w.p.Recorder, Seq: s.seq, UTCStart: s.start, Gaps: s.gaps}
	var longest time.Duration
	ends := make(map[uint32]time.Duration, len(w.tracks))
	for _, t := range w.tracks {
		info.Samples += t.samples
		ends[t.t.ID] = t.endOffset()
		longest = max(longest, ends[t.t.ID])
	}
	info.UTCEnd = s.start.Add(longest)
	if w.lead != nil {
		info.Frames = w.lead.samples
		info.UTCEnd = s.start.Add(w.lead.endOffset())
	}
	werr := w.writeFragment()
	w.cur = nil
	if werr == nil {
		werr = fmp4.PatchDurations(s.f, s.fw.DurationFields(), longest, ends)
	}
	if werr != nil {
		info.Truncated = true
		if err := s.f.Truncate(s.good); err != nil {
			werr = fmt.Errorf("%w; truncate: %v", werr, err)
		}
	}
	for _, t := range w.tracks {
		t.reset()
	}
	err := s.f.Sync()
	if w.p.Fsync == FsyncNever {
		err = nil
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	final := strings.TrimSuffix(s.part, PartExt) + Ext
	if err == nil {
		err = os.Rename(s.part, final)
	}
	if err == nil && w.p.Fsync != FsyncNever {
		err = fsutil.SyncDir(w.p.Dir)
	}
	if err != nil {
		return fmt.Errorf("segment: close %s: %w", s.part, err)
	}
	if info.Truncated {
		// The samples after the last good fragment are lost: report what
		// the file holds.
		if got, err := inspect(final); err == nil {
			info.UTCEnd, info.Frames, info.Samples = got.UTCEnd, got.Frames, got.Samples
		}
	}
	info.Path, info.Bytes, info.ClosedAt = final, s.good, w.p.Now()
	w.closedInfos = append(w.closedInfos, info)
	if werr != nil {
		return fmt.Errorf("segment %s: %w", final, werr)
	}
	return nil
}

// fileOut lets the fmp4 writer be made (and its tracks checked) before
// the file is created.
type fileOut struct{ f *os.File }

func (o *fileOut) Write(p []byte) (int, error) { return o.f.Write(p) }
