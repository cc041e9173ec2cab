package segment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/evalroom/evalroom/internal/fsutil"
	"github.com/evalroom/evalroom/media/fmp4"
)

// Recover turns every *.mp4.part file in dir (a segment a crash left
// open) into a closed segment: it truncates the file to its last complete
// fragment, fsyncs it, renames it to *.mp4, fsyncs dir and returns the
// segments' infos (Truncated set) in name order, for their manifests. A
// .part file without a single complete fragment holds no media and is
// removed. now stamps ClosedAt; nil means time.Now.
func Recover(dir string, now func() time.Time) ([]SegmentInfo, error) {
	if now == nil {
		now = time.Now
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("segment: recover %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), PartExt) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []SegmentInfo
	var errs []error
	for _, name := range names {
		info, ok, err := recoverFile(filepath.Join(dir, name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			info.ClosedAt = now()
			out = append(out, info)
		}
	}
	if len(names) > 0 {
		if err := fsutil.SyncDir(dir); err != nil {
			errs = append(errs, fmt.Errorf("segment: recover: %w", err))
		}
	}
	return out, errors.Join(errs...)
}

func recoverFile(part string) (SegmentInfo, bool, error) {
	f, err := os.OpenFile(part, os.O_RDWR, 0)
	if err != nil {
		return SegmentInfo{}, false, fmt.Errorf("segment: recover: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return SegmentInfo{}, false, fmt.Errorf("segment: recover: %w", err)
	}
	scan, err := fmp4.Scan(f, st.Size())
	if errors.Is(err, fmp4.ErrTruncated) || (err == nil && len(scan.Fragments) == 0) {
		f.Close()
		if err := os.Remove(part); err != nil {
			return SegmentInfo{}, false, fmt.Errorf("segment: recover: %w", err)
		}
		return SegmentInfo{}, false, nil
	}
	if err != nil {
		f.Close()
		return SegmentInfo{}, false, fmt.Errorf("segment: recover %s: %w", part, err)
	}
	if scan.Complete < st.Size() {
		err = f.Truncate(scan.Complete)
	}
	if err == nil && len(scan.DurationFields) > 0 {
		ends := map[uint32]time.Duration{}
		for _, t := range scan.Tracks {
			ends[t.ID] = t.Duration()
		}
		err = fmp4.PatchDurations(f, scan.DurationFields, scan.Duration(), ends)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	final := strings.TrimSuffix(part, PartExt) + Ext
	if err == nil {
		err = os.Rename(part, final)
	}
	if err != nil {
		return SegmentInfo{}, false, fmt.Errorf("segment: recover %s: %w", part, err)
	}
	info := infoFromScan(final, scan)
	info.Truncated = true
	return info, true, nil
}

// inspect reads a closed segment's info from its file.
func inspect(path string) (SegmentInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return SegmentInfo{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return SegmentInfo{}, err
	}
	scan, err := fmp4.Scan(f, st.Size())
	if err != nil {
		return SegmentInfo{}, err
	}
	return infoFromScan(path, scan), nil
}

// Inspect reads the SegmentInfo of a segment file (without gaps, which
// the file does not hold).
func Inspect(path string) (SegmentInfo, error) {
	info, err := inspect(path)
	if err != nil {
		return SegmentInfo{}, fmt.Errorf("segment: inspect %s: %w", path, err)
	}
	return info, nil
}

func infoFromScan(path string, scan *fmp4.File) SegmentInfo {
	info := SegmentInfo{Path: path, Bytes: scan.Complete, UTCStart: scan.UTCStart}
	if t, ok := scan.PrftStart(); ok {
		info.UTCStart = t // to the nanosecond; ©day has milliseconds
	}
	rec, start, seq, ok := ParseFileName(filepath.Base(path))
	if ok {
		info.Recorder, info.Seq = rec, seq
		if info.UTCStart.IsZero() {
			info.UTCStart = start
		}
	}
	lead := -1
	for i, t := range scan.Tracks {
		info.Samples += t.Samples
		if lead < 0 && t.Kind == fmp4.Video {
			lead = i
		}
	}
	if lead < 0 && len(scan.Tracks) > 0 {
		lead = 0
	}
	if lead >= 0 {
		info.Frames = scan.Tracks[lead].Samples
		info.UTCEnd = info.UTCStart.Add(scan.Tracks[lead].Duration())
	}
	return info
}
