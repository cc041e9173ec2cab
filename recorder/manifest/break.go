package manifest

import "fmt"

// BreakKind says how a link of a chain is broken.
type BreakKind int

// The kinds of broken links, in the order a ChainVerifier checks them.
const (
	// BreakMalformed: the manifest file cannot be parsed.
	BreakMalformed BreakKind = iota + 1
	// BreakUnknownKey: no key is known for the manifest's recorder.
	BreakUnknownKey
	// BreakBadSignature: the signature does not verify with the
	// recorder's key (an edited field, a forged or missing signature).
	BreakBadSignature
	// BreakSegmentMissing: the segment file named by the manifest is
	// absent.
	BreakSegmentMissing
	// BreakSegmentHash: the segment file's size or hash differs.
	BreakSegmentHash
	// BreakSeqGap: the seq does not follow the previous manifest's.
	BreakSeqGap
	// BreakPrevMismatch: prev_hash is not the previous manifest's hash.
	BreakPrevMismatch
	// BreakTimeBackwards: the segment starts before the end of the
	// previous segment of the same stream (same recorder and track names).
	BreakTimeBackwards
)

var breakInfo = map[BreakKind]struct {
	zh, en string
	err    error
}{
	BreakMalformed:      {"清单格式错误", "malformed manifest", ErrMalformed},
	BreakUnknownKey:     {"录像设备公钥未知", "unknown recorder key", ErrUnknownKey},
	BreakBadSignature:   {"签名无效", "bad signature", ErrBadSignature},
	BreakSegmentMissing: {"录像片段文件缺失", "segment file missing", ErrSegmentMissing},
	BreakSegmentHash:    {"录像片段文件哈希不符", "segment hash mismatch", ErrSegmentHash},
	BreakSeqGap:         {"序号不连续", "sequence gap", ErrSeqGap},
	BreakPrevMismatch:   {"前一清单哈希不符", "previous manifest hash mismatch", ErrPrevMismatch},
	BreakTimeBackwards:  {"时间倒退", "time goes backwards", ErrTimeBackwards},
}

// Reason is the kind in Chinese and English, e.g. "签名无效 (bad
// signature)".
func (k BreakKind) Reason() string {
	i, ok := breakInfo[k]
	if !ok {
		return fmt.Sprintf("未知错误 (unknown break %d)", int(k))
	}
	return i.zh + " (" + i.en + ")"
}

// Err is the package's error value for the kind.
func (k BreakKind) Err() error { return breakInfo[k].err }

// Break is a broken link of a chain: which manifest, why, and detail.
type Break struct {
	// Kind is how the link is broken.
	Kind BreakKind
	// Name is the manifest's name in its Source (its file name).
	Name string
	// Recorder, Seq and Segment identify the manifest when it parsed.
	Recorder string
	Seq      int64
	Segment  string
	// Detail adds specifics in Chinese and English (expected and found
	// values).
	Detail string
}

// Error names the manifest and gives the reason.
func (b *Break) Error() string {
	s := b.Name + ": " + b.Kind.Reason()
	if b.Recorder != "" {
		s += fmt.Sprintf(" [recorder %s seq %d segment %s]", b.Recorder, b.Seq, b.Segment)
	}
	if b.Detail != "" {
		s += ": " + b.Detail
	}
	return s
}

// Unwrap returns the kind's error value, so errors.Is(b, ErrSeqGap) works.
func (b *Break) Unwrap() error { return b.Kind.Err() }
