package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Info is what the recorder knows of a closed segment besides its bytes.
type Info struct {
	// Recorder, Room and Session identify the recording; Session may be
	// empty.
	Recorder, Room, Session string
	// Alg hashes the segment and the chain link; empty means SHA256.
	Alg Alg
	// Start and End bound the segment's media in corrected UTC.
	Start, End time.Time
	// Tracks, Clock, Gaps and Truncated are copied into the manifest.
	Tracks    []Track
	Clock     Clock
	Gaps      []Gap
	Truncated bool
}

// Build hashes the segment file at segmentPath and returns its unsigned,
// unchained manifest (seq 0, zero prev, no created_at): Chain.Append
// completes and signs it. The file's base name must be a safe segment
// name. Errors wrap ErrInvalid or the file's error.
func Build(segmentPath string, in Info) (Manifest, error) {
	if in.Alg == "" {
		in.Alg = SHA256
	}
	m := Manifest{Version: Version, Recorder: in.Recorder, Room: in.Room, Session: in.Session,
		Segment: filepath.Base(segmentPath), Alg: in.Alg, Start: in.Start.UTC(), End: in.End.UTC(),
		Tracks: append([]Track(nil), in.Tracks...), Clock: in.Clock, Gaps: append([]Gap(nil), in.Gaps...),
		Truncated: in.Truncated}
	m.Clock.MeasuredAt = m.Clock.MeasuredAt.UTC()
	for i := range m.Gaps {
		m.Gaps[i].From, m.Gaps[i].To = m.Gaps[i].From.UTC(), m.Gaps[i].To.UTC()
	}
	if err := m.validateContent(); err != nil {
		return Manifest{}, fmt.Errorf("build manifest of %s: %w", segmentPath, err)
	}
	f, err := os.Open(segmentPath)
	if err != nil {
		return Manifest{}, fmt.Errorf("build manifest: %w", err)
	}
	defer f.Close()
	if m.SegmentHash, m.Size, err = m.Alg.SumReader(f); err != nil {
		return Manifest{}, fmt.Errorf("build manifest of %s: %w", segmentPath, err)
	}
	return m, nil
}
