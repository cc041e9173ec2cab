package manifest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
)

// Source holds manifests and segments to verify: a local recorder folder
// (DirSource), and later an evidence export or the central archive.
type Source interface {
	// Manifests lists the names of the manifests the source holds.
	Manifests(ctx context.Context) ([]string, error)
	// ReadManifest returns a manifest's bytes. Errors: fs.ErrNotExist,
	// I/O errors.
	ReadManifest(ctx context.Context, name string) ([]byte, error)
	// OpenSegment opens the segment a manifest names. Errors:
	// ErrSegmentMissing or fs.ErrNotExist for a segment the source does
	// not hold, I/O errors.
	OpenSegment(ctx context.Context, name string) (io.ReadCloser, error)
}

// SegmentLister is implemented by sources that can list their segment
// files, so that segments without a manifest are reported.
type SegmentLister interface {
	// Segments lists the names of the source's segment files.
	Segments(ctx context.Context) ([]string, error)
}

// Result is the verdict on one manifest.
type Result struct {
	// Name is the manifest's name in the source.
	Name string
	// Manifest is the parsed manifest (zero when it did not parse).
	Manifest Manifest
	// Break is the broken link, nil when the link holds.
	Break *Break
}

// ChainSummary describes one recorder's chain in a source.
type ChainSummary struct {
	// Recorder is the recorder's id.
	Recorder string
	// FirstSeq and LastSeq are the lowest and highest seq seen.
	FirstSeq, LastSeq int64
	// Count is the number of manifests.
	Count int
}

// Report is the outcome of VerifySource.
type Report struct {
	// Results has one entry per manifest: unparsable ones first, then by
	// recorder and seq.
	Results []Result
	// Chains summarises each recorder's chain.
	Chains []ChainSummary
	// Unsigned lists segment files no manifest names (a recording still
	// open, or one whose manifest was lost): they prove nothing.
	Unsigned []string
	// First is the first broken link; nil when every link holds.
	First *Break
}

// OK reports whether every link holds.
func (r Report) OK() bool { return r.First == nil }

// VerifySource verifies every manifest of src and its segment, chain by
// chain. It returns an error only when the source itself fails (listing,
// reading); broken links are in the Report.
func VerifySource(ctx context.Context, src Source, keys Keys, opts ...VerifierOption) (Report, error) {
	names, err := src.Manifests(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("verify: list manifests: %w", err)
	}
	v := NewChainVerifier(keys, opts...)
	var rep Report
	var parsed []Result
	for _, name := range names {
		data, err := src.ReadManifest(ctx, name)
		if err != nil {
			return Report{}, fmt.Errorf("verify: read %s: %w", name, err)
		}
		m, err := Parse(data)
		if err != nil {
			rep.Results = append(rep.Results, Result{Name: name, Break: v.Malformed(name, err)})
			continue
		}
		parsed = append(parsed, Result{Name: name, Manifest: m})
	}
	sort.SliceStable(parsed, func(i, j int) bool {
		a, b := parsed[i].Manifest, parsed[j].Manifest
		if a.Recorder != b.Recorder {
			return a.Recorder < b.Recorder
		}
		return a.Seq < b.Seq
	})
	named := map[string]bool{}
	for _, r := range parsed {
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		named[r.Manifest.Segment] = true
		if r.Break, err = checkOne(ctx, src, v, r.Name, r.Manifest); err != nil {
			return Report{}, err
		}
		rep.Results = append(rep.Results, r)
		if n := len(rep.Chains); n > 0 && rep.Chains[n-1].Recorder == r.Manifest.Recorder {
			rep.Chains[n-1].LastSeq = r.Manifest.Seq
			rep.Chains[n-1].Count++
		} else {
			rep.Chains = append(rep.Chains, ChainSummary{Recorder: r.Manifest.Recorder,
				FirstSeq: r.Manifest.Seq, LastSeq: r.Manifest.Seq, Count: 1})
		}
	}
	if l, ok := src.(SegmentLister); ok {
		segs, err := l.Segments(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("verify: list segments: %w", err)
		}
		for _, s := range segs {
			if !named[s] {
				rep.Unsigned = append(rep.Unsigned, s)
			}
		}
	}
	rep.First = v.First()
	return rep, nil
}

// checkOne opens m's segment and checks m.
func checkOne(ctx context.Context, src Source, v *ChainVerifier, name string, m Manifest) (*Break, error) {
	seg, err := src.OpenSegment(ctx, m.Segment)
	if errors.Is(err, ErrSegmentMissing) || errors.Is(err, fs.ErrNotExist) {
		return v.Check(name, m, nil), nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: open %s: %w", m.Segment, err)
	}
	defer seg.Close()
	return v.Check(name, m, seg), nil
}
