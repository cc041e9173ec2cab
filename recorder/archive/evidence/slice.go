package evidence

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// Link is one manifest of a recorder's chain slice, with access to its
// segment.
type Link struct {
	// Name is where the manifest is: its path in an export, or
	// "segment:<hash>" in the central archive.
	Name string
	// Raw is the manifest file's bytes; nil for a manifest listed but
	// absent (a malformed link).
	Raw []byte
	// Seq is the seq an index lists for the manifest, reported when Raw
	// is nil.
	Seq int64
	// ChainOnly marks a manifest kept for the chain's links whose segment
	// is not part of the evidence (another session recorded in between):
	// its segment is not checked.
	ChainOnly bool
	// Open opens the segment's bytes; nil when the segment is absent,
	// which breaks the link unless ChainOnly.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// KeyAt is when the server accepted the segment. When set and the
	// keys are a KeysAt, the manifest must verify with the recorder's key
	// in force at that instant (not with a key retired before, nor one
	// registered after); zero accepts any of the recorder's keys.
	KeyAt time.Time
}

// LinkResult is the verdict on one link.
type LinkResult struct {
	// Name is the link's Name.
	Name string
	// Manifest is the parsed manifest (zero when it did not parse).
	Manifest manifest.Manifest
	// Hash is the manifest's chain link (zero when it did not parse).
	Hash manifest.Digest
	// ChainOnly is the link's ChainOnly.
	ChainOnly bool
	// Break is the first failed check of this link, nil when it holds.
	Break *Break
}

// SliceReport is the outcome of CheckSlice.
type SliceReport struct {
	// Recorder is the recorder whose chain the slice is.
	Recorder string `json:"recorder_id"`
	// FirstSeq and AnchorPrev are the slice's anchor: its first seq and
	// that manifest's prev_hash, which the server's chain confirms (the
	// manifest hash of seq FirstSeq-1, or zeros for seq 1).
	FirstSeq   int64  `json:"first_seq"`
	AnchorPrev string `json:"anchor_prev_hash"`
	// LastSeq and LastHash are the slice's end: its last seq and that
	// manifest's hash.
	LastSeq  int64  `json:"last_seq"`
	LastHash string `json:"last_manifest_hash"`
	// Manifests counts the links, Segments those whose segment was
	// checked, ChainOnly the others; Bytes is the segments' total size.
	Manifests int   `json:"manifests"`
	Segments  int   `json:"segments"`
	ChainOnly int   `json:"chain_only"`
	Bytes     int64 `json:"bytes"`
	// Results has one entry per link: unparsable ones first, then by seq.
	Results []LinkResult `json:"-"`
	// First is the slice's first broken link, nil when every link holds.
	First *Break `json:"first_broken,omitempty"`
}

// CheckSlice verifies one recorder's chain slice: each manifest parses
// and belongs to recorder, its signature verifies with one of keys'
// keys for the recorder (with the key in force at the link's KeyAt when
// keys is a KeysAt), its segment (unless chain-only) has the
// manifest's size and hash, and the links hold: seqs contiguous, each
// prev_hash the hash of the manifest before it, a seq 1 linking to the
// zero hash, and no segment starting before the previous segment of its
// stream (same track names) ends by more than slack. Links are checked
// in seq order whatever order they come in. It returns an error only
// when ctx ends; broken links are in the report.
func CheckSlice(ctx context.Context, recorder string, keys manifest.Keys, links []Link, slack time.Duration) (SliceReport, error) {
	rep := SliceReport{Recorder: recorder}
	note := func(r *LinkResult, b *Break) {
		if b != nil {
			b.Name, b.Reason = r.Name, b.Kind.Reason()
			if r.Manifest.Recorder != "" {
				b.Recorder, b.Seq, b.Segment = r.Manifest.Recorder, r.Manifest.Seq, r.Manifest.Segment
			}
			r.Break = b
		}
	}
	var parsed []LinkResult
	for _, l := range links {
		r := LinkResult{Name: l.Name, ChainOnly: l.ChainOnly}
		if l.Raw == nil {
			note(&r, &Break{Kind: KindMalformed, Recorder: recorder, Seq: l.Seq, Detail: "清单文件缺失 (manifest file missing)"})
			rep.Results = append(rep.Results, r)
			continue
		}
		m, err := manifest.Parse(trimNewline(l.Raw))
		if err != nil {
			note(&r, &Break{Kind: KindMalformed, Detail: err.Error()})
			rep.Results = append(rep.Results, r)
			continue
		}
		r.Manifest = m
		parsed = append(parsed, r)
	}
	sort.SliceStable(parsed, func(i, j int) bool { return parsed[i].Manifest.Seq < parsed[j].Manifest.Seq })
	opens := map[string]Link{}
	for _, l := range links {
		opens[l.Name] = l
	}
	var prev *LinkResult
	streams := map[string][2]time.Time{}
	for i := range parsed {
		if err := ctx.Err(); err != nil {
			return SliceReport{}, err
		}
		r := &parsed[i]
		b, n, err := checkLink(ctx, recorder, keys, opens[r.Name], r, prev, streams, slack)
		if err != nil {
			return SliceReport{}, err
		}
		note(r, b)
		rep.Manifests++
		if r.ChainOnly {
			rep.ChainOnly++
		} else {
			rep.Segments++
			rep.Bytes += n
		}
		if i == 0 {
			rep.FirstSeq, rep.AnchorPrev = r.Manifest.Seq, r.Manifest.Prev.String()
		}
		rep.LastSeq, rep.LastHash = r.Manifest.Seq, r.Hash.String()
		prev = r
	}
	rep.Results = append(rep.Results, parsed...)
	for i := range rep.Results {
		if b := rep.Results[i].Break; b != nil {
			rep.First = b
			break
		}
	}
	return rep, nil
}

// checkLink runs the checks of one parsed link; it returns the break (or
// nil) and the segment's size.
func checkLink(ctx context.Context, recorder string, keys manifest.Keys, l Link, r, prev *LinkResult,
	streams map[string][2]time.Time, slack time.Duration) (*Break, int64, error) {
	m := r.Manifest
	brk := func(k Kind, format string, a ...any) *Break {
		return &Break{Kind: k, Detail: fmt.Sprintf(format, a...)}
	}
	h, err := m.Hash()
	if err != nil {
		return brk(KindMalformed, "%v", err), 0, nil
	}
	r.Hash = h
	key := streamOf(m)
	before, seen := streams[key]
	streams[key] = [2]time.Time{m.Start, m.End}
	if m.Recorder != recorder {
		return brk(KindMalformed, "清单属于录像设备 %s，不属于 %s (manifest of recorder %s in the slice of %s)",
			m.Recorder, recorder, m.Recorder, recorder), 0, nil
	}
	if b := checkSignature(keys, l, m); b != nil {
		return b, 0, nil
	}
	var n int64
	if !r.ChainOnly {
		if l.Open == nil {
			return brk(KindSegmentMissing, "找不到 %s (cannot find %s)", m.Segment, m.Segment), 0, nil
		}
		seg, err := l.Open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			return brk(KindSegmentMissing, "打不开 %s (cannot open %s): %v", m.Segment, m.Segment, err), 0, nil
		}
		d, got, err := m.Alg.SumReader(seg)
		seg.Close()
		if err != nil {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			return brk(KindSegmentHash, "读取 %s 时出错，内容已损坏 (reading %s failed, the content is damaged): %v", m.Segment, m.Segment, err), 0, nil
		}
		if got != m.Size || d != m.SegmentHash {
			return brk(KindSegmentHash, "清单记录 %d 字节 %s:%s，实为 %d 字节 %s (manifest says %d bytes, found %d bytes)",
				m.Size, m.Alg, m.SegmentHash, got, d, m.Size, got), 0, nil
		}
		n = got
	}
	switch {
	case prev == nil && m.Seq == 1 && !m.Prev.IsZero():
		return brk(KindPrevMismatch, "序号1应链接到全零哈希 (seq 1 must link to the zero hash)"), n, nil
	case prev == nil:
		return nil, n, nil
	case m.Seq != prev.Manifest.Seq+1:
		return brk(KindSeqGap, "应为序号 %d，实为 %d (expected seq %d, found %d)",
			prev.Manifest.Seq+1, m.Seq, prev.Manifest.Seq+1, m.Seq), n, nil
	case prev.Hash.IsZero():
		return nil, n, nil // the previous link could not be hashed: judged on its own
	case m.Prev != prev.Hash:
		return brk(KindPrevMismatch, "应为 %s，实为 %s (expected %s, found %s)", prev.Hash, m.Prev, prev.Hash, m.Prev), n, nil
	case seen && (m.Start.Before(before[0]) || m.Start.Before(before[1].Add(-slack))):
		return brk(KindTimeBackwards, "开始于 %s，早于同一路前一片段的 %s–%s (starts %s, before the previous segment of its stream %s–%s)",
			fmtTime(m.Start), fmtTime(before[0]), fmtTime(before[1]), fmtTime(m.Start), fmtTime(before[0]), fmtTime(before[1])), n, nil
	}
	return nil, n, nil
}

// checkSignature verifies m's signature: with the recorder's key in
// force at l.KeyAt when both it and a KeysAt are given, else with any of
// the recorder's keys.
func checkSignature(keys manifest.Keys, l Link, m manifest.Manifest) *Break {
	brk := func(k Kind, format string, a ...any) *Break {
		return &Break{Kind: k, Detail: fmt.Sprintf(format, a...)}
	}
	pubs := keys.Lookup(m.Recorder)
	if at, ok := keys.(KeysAt); ok && !l.KeyAt.IsZero() {
		p, found := at.KeyAt(m.Recorder, l.KeyAt)
		if !found {
			if len(pubs) == 0 {
				return brk(KindUnknownKey, "没有录像设备 %s 的公钥 (no public key for recorder %s)", m.Recorder, m.Recorder)
			}
			return brk(KindUnknownKey, "服务器接收该片段时（%s）录像设备 %s 没有有效的公钥 (recorder %s had no key in force when the server accepted the segment)",
				fmtTime(l.KeyAt), m.Recorder, m.Recorder)
		}
		if u, ok := keys.(interface {
			untrusted(string, ed25519.PublicKey) bool
		}); ok && u.untrusted(m.Recorder, p.PublicKey) {
			return brk(KindUnknownKey, "服务器接收时有效的公钥 %s 不在给出的可信公钥中 (the key in force when the server accepted the segment is not among the trusted keys)",
				Fingerprint(p.PublicKey))
		}
		if m.Verify(p.PublicKey) == nil {
			return nil
		}
		if verifiesWithAny(m, pubs) {
			return brk(KindBadSignature, "清单由该设备的另一把公钥签名，而服务器接收时（%s）有效的是 %s（有效期 %s）(signed by another key of the recorder, not the key in force when the server accepted it)",
				fmtTime(l.KeyAt), Fingerprint(p.PublicKey), p.Span())
		}
		return brk(KindBadSignature, "签名与接收时有效的公钥 %s 不符或内容被修改 (signature does not match the key in force when accepted, or the content was changed)",
			Fingerprint(p.PublicKey))
	}
	if len(pubs) == 0 {
		return brk(KindUnknownKey, "没有录像设备 %s 的公钥 (no public key for recorder %s)", m.Recorder, m.Recorder)
	}
	if !verifiesWithAny(m, pubs) {
		return brk(KindBadSignature, "签名与公钥不符或内容被修改 (signature does not match the key, or the content was changed)")
	}
	return nil
}

// streamOf names a recorder's stream: its segments with the same track
// names.
func streamOf(m manifest.Manifest) string {
	k := m.Recorder
	for _, t := range m.Tracks {
		k += "/" + t.Kind + ":" + t.Name
	}
	return k
}

func verifiesWithAny(m manifest.Manifest, keys []ed25519.PublicKey) bool {
	for _, k := range keys {
		if m.Verify(k) == nil {
			return true
		}
	}
	return false
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}
