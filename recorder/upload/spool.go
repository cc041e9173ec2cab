package upload

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// manifestSuffix ends every manifest file name (manifest.ManifestName).
const manifestSuffix = ".manifest.json"

// entry is what the uploader keeps of one manifest of the spool.
type entry struct {
	// file is the manifest's file name.
	file     string
	seq      int64
	recorder string
	// segment is the segment's file name, size its size.
	segment string
	size    int64
	alg     manifest.Alg
	hash    manifest.Digest
	// link is the manifest's chain hash (hex).
	link string
}

// spool reads the spool folder. Manifests are immutable once written, so
// each is parsed once.
type spool struct {
	dir   string
	log   *slog.Logger
	known map[string]entry
	bad   map[string]bool
}

func newSpool(dir string, log *slog.Logger) *spool {
	return &spool{dir: dir, log: log, known: map[string]entry{}, bad: map[string]bool{}}
}

// listing is one scan of the spool.
type listing struct {
	// entries are the manifests, by seq (then file name).
	entries []entry
	// files are the sizes of the folder's regular files, by name.
	files map[string]int64
	// total is the sum of files.
	total int64
}

// scan lists the folder: every regular file's size, and the manifests.
// Files whose names start with "." (temporary files) count towards the
// size only; a manifest that cannot be parsed is logged once and skipped.
func (s *spool) scan() (*listing, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("scan spool %s: %w", s.dir, err)
	}
	l := &listing{files: map[string]int64{}}
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		name := de.Name()
		l.files[name] = info.Size()
		l.total += info.Size()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, manifestSuffix) {
			continue
		}
		e, ok := s.known[name]
		if !ok {
			if e, ok = s.read(name); !ok {
				continue
			}
			s.known[name] = e
		}
		l.entries = append(l.entries, e)
	}
	sort.Slice(l.entries, func(i, j int) bool {
		a, b := l.entries[i], l.entries[j]
		return a.seq < b.seq || (a.seq == b.seq && a.file < b.file)
	})
	return l, nil
}

// read parses one manifest file.
func (s *spool) read(name string) (entry, bool) {
	if s.bad[name] {
		return entry{}, false
	}
	raw, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		s.log.Warn("read manifest", "file", name, "err", err)
		return entry{}, false
	}
	m, err := manifest.Parse(bytes.TrimSuffix(raw, []byte("\n")))
	var link manifest.Digest
	if err == nil {
		link, err = m.Hash()
	}
	if err != nil {
		s.bad[name] = true
		s.log.Error("manifest in the spool cannot be parsed; it is not uploaded", "file", name, "err", err)
		return entry{}, false
	}
	return entry{file: name, seq: m.Seq, recorder: m.Recorder, segment: m.Segment, size: m.Size,
		alg: m.Alg, hash: m.SegmentHash, link: link.String()}, true
}

// chain returns the entries of recorder ("" for all) by seq, and the seqs
// that more than one different manifest claims.
func (l *listing) chain(recorder string) (map[int64]entry, map[int64]bool) {
	bySeq, dups := map[int64]entry{}, map[int64]bool{}
	for _, e := range l.entries {
		if recorder != "" && e.recorder != recorder {
			continue
		}
		if old, ok := bySeq[e.seq]; ok && old.link != e.link {
			dups[e.seq] = true
			continue
		}
		bySeq[e.seq] = e
	}
	return bySeq, dups
}
