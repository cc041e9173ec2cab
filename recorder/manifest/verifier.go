package manifest

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"time"
)

// DefaultTimeSlack is how far a segment may start before the end of the
// previous segment of its stream (clock corrections between segments)
// before the verifier calls it time going backwards.
const DefaultTimeSlack = time.Second

// VerifierOption configures a ChainVerifier.
type VerifierOption func(*ChainVerifier)

// WithTimeSlack sets the allowed overlap of consecutive segments
// (DefaultTimeSlack when not given).
func WithTimeSlack(d time.Duration) VerifierOption {
	return func(v *ChainVerifier) { v.slack = d }
}

// RequireGenesis makes a chain that does not start at seq 1 a break. By
// default a chain may start later: a recorder deletes uploaded segments
// when its disk fills, and an export may cover a part of a chain.
func RequireGenesis() VerifierOption {
	return func(v *ChainVerifier) { v.genesis = true }
}

// link is what the verifier remembers of a recorder's last manifest.
type link struct {
	seq  int64
	hash Digest
}

// span is the time of the last segment of one stream.
type span struct{ start, end time.Time }

// streamKey names a recorder's stream: its segments with the same track
// names (a recorder writing one file per camera has one stream per
// camera; their segments overlap in time and are not compared).
func streamKey(m Manifest) string {
	k := m.Recorder
	for _, t := range m.Tracks {
		k += "/" + t.Kind + ":" + t.Name
	}
	return k
}

// ChainVerifier consumes manifests in chain order, each with its segment
// bytes, and reports broken links: per manifest the first failed check,
// and overall the first broken link. Recorders' chains are followed
// independently. After a break it goes on from the manifest at hand, so
// that later links are judged on their own. Not safe for concurrent use.
type ChainVerifier struct {
	keys    Keys
	slack   time.Duration
	genesis bool
	chains  map[string]*link
	streams map[string]span
	first   *Break
}

// NewChainVerifier returns a verifier trusting keys.
func NewChainVerifier(keys Keys, opts ...VerifierOption) *ChainVerifier {
	v := &ChainVerifier{keys: keys, slack: DefaultTimeSlack, chains: map[string]*link{}, streams: map[string]span{}}
	for _, o := range opts {
		o(v)
	}
	return v
}

// First returns the first broken link seen, nil while every link holds.
func (v *ChainVerifier) First() *Break { return v.first }

// Malformed records a manifest named name that could not be parsed.
func (v *ChainVerifier) Malformed(name string, err error) *Break {
	return v.note(&Break{Kind: BreakMalformed, Name: name, Detail: err.Error()})
}

func (v *ChainVerifier) note(b *Break) *Break {
	if b != nil && v.first == nil {
		v.first = b
	}
	return b
}

// Check verifies m, named name in its source, against segment (nil when
// the segment file is missing) and against the previous manifest of its
// recorder, and returns the broken link or nil.
func (v *ChainVerifier) Check(name string, m Manifest, segment io.Reader) *Break {
	return v.note(v.check(name, m, segment))
}

func (v *ChainVerifier) check(name string, m Manifest, segment io.Reader) *Break {
	brk := func(k BreakKind, format string, a ...any) *Break {
		return &Break{Kind: k, Name: name, Recorder: m.Recorder, Seq: m.Seq, Segment: m.Segment, Detail: fmt.Sprintf(format, a...)}
	}
	h, err := m.Hash()
	if err != nil {
		return brk(BreakMalformed, "%v", err)
	}
	prev := v.chains[m.Recorder]
	v.chains[m.Recorder] = &link{seq: m.Seq, hash: h}
	before, seen := v.streams[streamKey(m)]
	v.streams[streamKey(m)] = span{m.Start, m.End}

	keys := v.keys.Lookup(m.Recorder)
	if len(keys) == 0 {
		return brk(BreakUnknownKey, "没有录像设备 %s 的公钥 (no public key for recorder %s)", m.Recorder, m.Recorder)
	}
	if !verifiesWithAny(m, keys) {
		return brk(BreakBadSignature, "签名与登记的公钥不符或内容被修改 (signature does not match the key, or the content was changed)")
	}
	if segment == nil {
		return brk(BreakSegmentMissing, "找不到 %s (cannot find %s)", m.Segment, m.Segment)
	}
	d, n, err := m.Alg.SumReader(segment)
	if err != nil {
		return brk(BreakSegmentMissing, "读取 %s 失败 (reading %s failed): %v", m.Segment, m.Segment, err)
	}
	if n != m.Size || d != m.SegmentHash {
		return brk(BreakSegmentHash, "清单记录 %d 字节 %s:%s，文件为 %d 字节 %s (manifest says %d bytes, file has %d bytes)",
			m.Size, m.Alg, m.SegmentHash, n, d, m.Size, n)
	}
	switch {
	case prev == nil && m.Seq == 1 && !m.Prev.IsZero():
		return brk(BreakPrevMismatch, "序号1应链接到全零哈希 (seq 1 must link to the zero hash)")
	case prev == nil && v.genesis && m.Seq != 1:
		return brk(BreakSeqGap, "链从序号 %d 开始，而不是 1 (chain starts at seq %d, not 1)", m.Seq, m.Seq)
	case prev == nil:
		return nil
	case m.Seq != prev.seq+1:
		return brk(BreakSeqGap, "应为序号 %d，实为 %d (expected seq %d, found %d)", prev.seq+1, m.Seq, prev.seq+1, m.Seq)
	case m.Prev != prev.hash:
		return brk(BreakPrevMismatch, "应为 %s，实为 %s (expected %s, found %s)", prev.hash, m.Prev, prev.hash, m.Prev)
	case seen && (m.Start.Before(before.start) || m.Start.Before(before.end.Add(-v.slack))):
		return brk(BreakTimeBackwards, "开始于 %s，早于同一路前一片段的 %s–%s (starts %s, previous segment of the stream %s–%s)",
			formatTime(m.Start), formatTime(before.start), formatTime(before.end),
			formatTime(m.Start), formatTime(before.start), formatTime(before.end))
	}
	return nil
}

// verifiesWithAny reports whether one of keys verifies m's signature.
func verifiesWithAny(m Manifest, keys []ed25519.PublicKey) bool {
	for _, k := range keys {
		if m.Verify(k) == nil {
			return true
		}
	}
	return false
}
