package evidence

import "time"

// Format and Version identify an export's export.json. Version 2 adds
// each recorder's key history, each manifest's acceptance time and the
// server's signature (SHA256SUMS, SHA256SUMS.sig); Verify reads both.
const (
	Format  = "evalroom-evidence"
	Version = 2
)

// Names of the fixed members of an export.
const (
	ReadmeName = "README.txt"
	IndexName  = "export.json"
	KeysName   = "keys.txt"
	AuditName  = "audit.jsonl"
	// SumsName lists every other member with its SHA-256 ("<hex>  <name>"
	// lines, as sha256sum writes them) and SignatureName is the server's
	// Ed25519 signature over it (see Signature).
	SumsName      = "SHA256SUMS"
	SignatureName = "SHA256SUMS.sig"
	// ScoresName is where the caller puts the scoring records (see
	// Content.Files); Verify matches them against the audit entries.
	ScoresName = "scores.json"
	// RecordersDir holds one folder per recorder.
	RecordersDir = "recorders/"
)

// Index is export.json: what the export holds. It is a map, not a
// proof: Verify trusts the signed manifests, the hashes and the links,
// and uses the index only to tell chain-only manifests and to find the
// listed files.
type Index struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// CreatedAt is when the export was written (server UTC) and CreatedBy
	// who asked for it ("user:7").
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// Session, SessionRef, Rooms, From and To say what the export covers:
	// the segments of these rooms overlapping [From, To) that belong to
	// the session or to no session.
	Session    int64     `json:"session_id"`
	SessionRef string    `json:"session_ref,omitempty"`
	Rooms      []int64   `json:"room_ids"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	// Recorders lists each recorder's chain slice.
	Recorders []IndexRecorder `json:"recorders"`
	// Files lists the other members with their SHA-256 (README, index and
	// keys excepted).
	Files []IndexFile `json:"files"`
	// AuditEntries counts the lines of audit.jsonl.
	AuditEntries int `json:"audit_entries"`
	// ServerKey is the server's key that signs SHA256SUMS; nil for an
	// unsigned export.
	ServerKey *IndexKey `json:"server_key,omitempty"`
}

// IndexKey is a public key in the index, with its fingerprint and, for a
// recorder's key, the period it was in force ([registered_at,
// retired_at); retired_at absent while in force, registered_at absent
// when unknown).
type IndexKey struct {
	PublicKey    string     `json:"public_key"`
	Fingerprint  string     `json:"fingerprint"`
	Room         int64      `json:"room_id,omitempty"`
	RegisteredAt *time.Time `json:"registered_at,omitempty"`
	RetiredAt    *time.Time `json:"retired_at,omitempty"`
}

// IndexRecorder is one recorder's chain slice in the index.
type IndexRecorder struct {
	Recorder string `json:"recorder_id"`
	Room     int64  `json:"room_id"`
	// PublicKey is the key registered for the recorder when the export
	// was written (standard base64), as in keys.txt.
	PublicKey string `json:"public_key"`
	// Keys are every key the recorder had, oldest first, with the period
	// each was in force: a manifest verifies with the key in force at its
	// accepted_at.
	Keys []IndexKey `json:"keys,omitempty"`
	// FirstSeq, AnchorPrev, LastSeq and LastHash bound the slice (see
	// SliceReport).
	FirstSeq   int64  `json:"first_seq"`
	AnchorPrev string `json:"anchor_prev_hash"`
	LastSeq    int64  `json:"last_seq"`
	LastHash   string `json:"last_manifest_hash"`
	// Manifests lists the slice in seq order.
	Manifests []IndexManifest `json:"manifests"`
}

// IndexManifest is one manifest of a slice.
type IndexManifest struct {
	Seq int64 `json:"seq"`
	// Manifest is the manifest's member name.
	Manifest string `json:"manifest"`
	// Segment is the segment's member name; empty for a chain-only
	// manifest, whose segment is not in the export.
	Segment string `json:"segment,omitempty"`
	// SegmentKey is the segment's SHA-256 (its key in the central
	// store) and Size its length.
	SegmentKey string `json:"segment_sha256"`
	Size       int64  `json:"size"`
	// ChainOnly marks a manifest kept for the links only.
	ChainOnly bool `json:"chain_only,omitempty"`
	// AcceptedAt is when the server accepted the segment: the recorder's
	// key in force then verifies the manifest.
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
}

// IndexFile is a listed member and its SHA-256.
type IndexFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}
