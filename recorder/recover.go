package recorder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/segment"
)

// recoverSpool seals what an earlier run left unsealed — segments a crash
// left open (truncated to their last complete fragment) and closed
// segments whose manifest was never written — in UTC order, and sets each
// camera's archive end so that its first frame marks the restart gap.
func (r *Recorder) recoverSpool() error {
	recovered, rerr := segment.Recover(r.p.Dir, r.p.Now)
	if rerr != nil {
		r.p.Logger.Error("crash recovery incomplete", "err", rerr)
	}
	byPath := map[string]segment.SegmentInfo{}
	for _, info := range recovered {
		byPath[info.Path] = info
		r.p.Logger.Warn("recovered an interrupted segment", "segment", filepath.Base(info.Path), "end", info.UTCEnd)
	}
	entries, err := os.ReadDir(r.p.Dir)
	if err != nil {
		return fmt.Errorf("recorder: read spool: %w", err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	var jobs []sealJob
	for _, e := range entries {
		name := e.Name()
		writer, _, _, ok := segment.ParseFileName(name)
		if !ok || !strings.HasSuffix(name, segment.Ext) || names[manifest.ManifestName(name)] || !r.ownWriter(writer) {
			continue
		}
		path := filepath.Join(r.p.Dir, name)
		info, ok := byPath[path]
		if !ok {
			if info, err = segment.Inspect(path); err != nil {
				r.p.Logger.Error("unsealed segment unreadable; left in place", "segment", name, "err", err)
				continue
			}
		}
		jobs = append(jobs, sealJob{cam: r.camByWriter(writer), info: info, tracks: r.tracksOfWriter(writer)})
	}
	sort.Slice(jobs, func(i, j int) bool {
		if a, b := jobs[i].info.UTCStart, jobs[j].info.UTCStart; !a.Equal(b) {
			return a.Before(b)
		}
		return jobs[i].info.Path < jobs[j].info.Path
	})
	var errs []error
	for _, job := range jobs {
		if err := r.seal(job); err != nil {
			errs = append(errs, err)
		}
	}
	ends, err := r.archiveEnds()
	if err != nil {
		errs = append(errs, err)
	}
	for _, c := range r.cams {
		end := ends[r.p.writerName(c.cam.Name)]
		c.lastEnd, c.restarted = end, !end.IsZero()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("recorder: recover spool: %w", err)
	}
	return nil
}

// ownWriter reports whether a segment writer name is one of this
// recorder's cameras' (present or past: <recorder>-<camera>).
func (r *Recorder) ownWriter(writer string) bool {
	return strings.HasPrefix(writer, r.p.RecorderID+"-")
}

func (r *Recorder) camByWriter(writer string) *camState {
	for _, c := range r.cams {
		if r.p.writerName(c.cam.Name) == writer {
			return c
		}
	}
	return nil
}

// tracksOfWriter describes a leftover segment: as its camera is configured
// now, or, for a camera no longer configured, as an H.264 camera by the
// name in the file.
func (r *Recorder) tracksOfWriter(writer string) []manifest.Track {
	if c := r.camByWriter(writer); c != nil {
		return r.manifestTracks(c.cam)
	}
	name := strings.TrimPrefix(writer, r.p.RecorderID+"-")
	return []manifest.Track{{Kind: "video", Name: name, Codec: "h264"}}
}

// archiveEnds returns, per segment writer name, the end of its newest
// sealed segment (one pass over the spool, then one manifest read per
// writer).
func (r *Recorder) archiveEnds() (map[string]time.Time, error) {
	entries, err := os.ReadDir(r.p.Dir)
	if err != nil {
		return nil, fmt.Errorf("recorder: read spool: %w", err)
	}
	type newest struct {
		name string
		seq  int
	}
	latest := map[string]newest{}
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".manifest.json")
		if !ok {
			continue
		}
		w, _, seq, ok := segment.ParseFileName(base + segment.Ext)
		if ok && r.ownWriter(w) && (latest[w].name == "" || seq > latest[w].seq) {
			latest[w] = newest{e.Name(), seq}
		}
	}
	ends := map[string]time.Time{}
	var errs []error
	for w, n := range latest {
		data, err := os.ReadFile(filepath.Join(r.p.Dir, n.name))
		if err != nil {
			errs = append(errs, fmt.Errorf("recorder: read %s: %w", n.name, err))
			continue
		}
		m, err := manifest.Parse(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("recorder: %s: %w", n.name, err))
			continue
		}
		ends[w] = m.End
	}
	return ends, errors.Join(errs...)
}
