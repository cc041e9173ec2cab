package manifest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evalroom/evalroom/internal/fsutil"
)

// manifestSuffix ends every manifest file name.
const manifestSuffix = ".manifest.json"

// maxManifestSize bounds what ReadManifest reads; manifests are a few KB.
const maxManifestSize = 1 << 20

// segmentExts are the file extensions DirSource lists as segments.
var segmentExts = map[string]bool{".mp4": true, ".m4s": true, ".webm": true, ".mkv": true}

// DirSource is a local folder with segments and their manifests side by
// side, as the recorder writes them. Subfolders are not read.
type DirSource struct {
	// Dir is the folder.
	Dir string
}

var (
	_ Source        = DirSource{}
	_ SegmentLister = DirSource{}
)

// Manifests lists the *.manifest.json files, sorted by name.
func (d DirSource) Manifests(ctx context.Context) ([]string, error) {
	return d.list(func(name string) bool { return strings.HasSuffix(name, manifestSuffix) })
}

// Segments lists the *.mp4, *.m4s, *.webm and *.mkv files, sorted by
// name.
func (d DirSource) Segments(ctx context.Context) ([]string, error) {
	return d.list(func(name string) bool { return segmentExts[strings.ToLower(filepath.Ext(name))] })
}

func (d DirSource) list(keep func(string) bool) ([]string, error) {
	entries, err := os.ReadDir(d.Dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") && keep(e.Name()) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadManifest reads a manifest file of the folder (at most 1 MiB).
func (d DirSource) ReadManifest(ctx context.Context, name string) ([]byte, error) {
	f, err := d.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrMalformed, name, maxManifestSize)
	}
	return data, nil
}

// OpenSegment opens a segment file of the folder; names that are not safe
// base names are refused with ErrInvalid.
func (d DirSource) OpenSegment(ctx context.Context, name string) (io.ReadCloser, error) {
	return d.open(name)
}

func (d DirSource) open(name string) (*os.File, error) {
	if !ValidSegmentName(name) {
		return nil, fmt.Errorf("%w: file name %q", ErrInvalid, name)
	}
	return os.Open(filepath.Join(d.Dir, name))
}

// WriteFile writes the signed manifest m atomically as its canonical
// encoding and a newline, into dir under ManifestName(m.Segment), and
// returns the path.
func WriteFile(dir string, m Manifest) (string, error) {
	b, err := m.Canonical()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, ManifestName(m.Segment))
	return p, fsutil.WriteFileAtomic(p, append(b, '\n'), 0o644)
}
