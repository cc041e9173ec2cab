package evidence

import (
	"fmt"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// Kind says how a link is broken. The values are stable codes (they are
// in JSON reports and the audit log).
type Kind string

// The kinds of broken links.
const (
	// KindMalformed: a manifest cannot be parsed, or a listed manifest
	// is absent.
	KindMalformed Kind = "malformed"
	// KindUnknownKey: no public key is known for the recorder.
	KindUnknownKey Kind = "unknown_key"
	// KindBadSignature: the signature does not verify with the key.
	KindBadSignature Kind = "bad_signature"
	// KindSegmentMissing: an included segment is absent.
	KindSegmentMissing Kind = "segment_missing"
	// KindSegmentHash: a segment's size or hash differs from its
	// manifest (or its bytes cannot be read back intact).
	KindSegmentHash Kind = "segment_hash"
	// KindSeqGap: a seq does not follow the previous one (a manifest
	// dropped, duplicated or reordered).
	KindSeqGap Kind = "seq_gap"
	// KindPrevMismatch: prev_hash is not the previous manifest's hash.
	KindPrevMismatch Kind = "prev_mismatch"
	// KindTimeBackwards: a segment starts before the previous segment of
	// its stream ends, beyond the slack.
	KindTimeBackwards Kind = "time_backwards"
	// KindIndexMismatch: the central index's row differs from the signed
	// manifest it holds (server-side verification only).
	KindIndexMismatch Kind = "index_mismatch"
	// KindAuditHash: an audit entry does not match its hash, or does not
	// link to the entry before it.
	KindAuditHash Kind = "audit_hash"
	// KindScoreUnaudited: a scoring record has no matching audit entry.
	KindScoreUnaudited Kind = "score_unaudited"
	// KindFileHash: a file listed in export.json is absent or its
	// SHA-256 differs.
	KindFileHash Kind = "file_hash"
	// KindKeyList: the recorders' key list is damaged: keys.txt and the
	// index's key history differ, or a key does not decode or match its
	// fingerprint.
	KindKeyList Kind = "key_list"
	// KindSignature: the server's signature is missing, does not verify,
	// or was made with another key than the server's.
	KindSignature Kind = "server_signature"
	// KindFileAltered: a member's SHA-256 differs from SHA256SUMS.
	KindFileAltered Kind = "file_altered"
	// KindFileMissing: a member SHA256SUMS lists is absent.
	KindFileMissing Kind = "file_missing"
	// KindFileAdded: a member SHA256SUMS does not list was added.
	KindFileAdded Kind = "file_added"
)

var kindReasons = map[Kind][2]string{
	KindMalformed:      {"清单格式错误或缺失", "malformed or missing manifest"},
	KindUnknownKey:     {"录像设备公钥未知", "unknown recorder key"},
	KindBadSignature:   {"签名无效", "bad signature"},
	KindSegmentMissing: {"录像片段文件缺失", "segment file missing"},
	KindSegmentHash:    {"录像片段文件哈希不符", "segment hash mismatch"},
	KindSeqGap:         {"序号不连续", "sequence gap"},
	KindPrevMismatch:   {"前一清单哈希不符", "previous manifest hash mismatch"},
	KindTimeBackwards:  {"时间倒退", "time goes backwards"},
	KindIndexMismatch:  {"索引与签名清单不符", "index row differs from its signed manifest"},
	KindAuditHash:      {"审计记录哈希不符", "audit entry hash mismatch"},
	KindScoreUnaudited: {"评分记录与审计日志不符", "scoring record not matched by the audit log"},
	KindFileHash:       {"文件缺失或哈希不符", "file missing or hash mismatch"},
	KindKeyList:        {"公钥列表被改动", "key list altered"},
	KindSignature:      {"服务器签名无效", "server signature invalid"},
	KindFileAltered:    {"文件被修改", "file altered"},
	KindFileMissing:    {"文件被删除", "file missing"},
	KindFileAdded:      {"多出未签名的文件", "file added"},
}

// Reason is the kind in Chinese and English, e.g. "签名无效 (bad
// signature)".
func (k Kind) Reason() string {
	r, ok := kindReasons[k]
	if !ok {
		return fmt.Sprintf("未知错误 (unknown kind %q)", string(k))
	}
	return r[0] + " (" + r[1] + ")"
}

// KindOf maps a manifest.BreakKind to its Kind.
func KindOf(k manifest.BreakKind) Kind {
	switch k {
	case manifest.BreakUnknownKey:
		return KindUnknownKey
	case manifest.BreakBadSignature:
		return KindBadSignature
	case manifest.BreakSegmentMissing:
		return KindSegmentMissing
	case manifest.BreakSegmentHash:
		return KindSegmentHash
	case manifest.BreakSeqGap:
		return KindSeqGap
	case manifest.BreakPrevMismatch:
		return KindPrevMismatch
	case manifest.BreakTimeBackwards:
		return KindTimeBackwards
	}
	return KindMalformed
}

// Break is a broken link: where, how, and detail.
type Break struct {
	// Kind is how the link is broken; Reason says it in Chinese and
	// English.
	Kind   Kind   `json:"kind"`
	Reason string `json:"reason"`
	// Name is where: a file of the export ("recorders/edge-nj-1/seg-000003.manifest.json",
	// "audit.jsonl:17") or, on the server, "segment:<hash>".
	Name string `json:"name"`
	// Recorder, Seq and Segment identify the manifest when known.
	Recorder string `json:"recorder_id,omitempty"`
	Seq      int64  `json:"seq,omitempty"`
	Segment  string `json:"segment,omitempty"`
	// Detail gives specifics in Chinese and English.
	Detail string `json:"detail,omitempty"`
}

// NewBreak returns a Break of kind k at name, its Reason filled in.
func NewBreak(k Kind, name, detail string) *Break {
	return &Break{Kind: k, Reason: k.Reason(), Name: name, Detail: detail}
}

// Error names the link and gives the reason.
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

// Unwrap returns ErrBroken.
func (b *Break) Unwrap() error { return ErrBroken }
