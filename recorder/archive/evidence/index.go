package evidence

import "time"

// Format and Version identify an export's export.json.
const (
	Format  = "evalroom-evidence"
	Version = 1
)

// Names of the fixed members of an export.
const (
	ReadmeName = "README.txt"
	IndexName  = "export.json"
	KeysName   = "keys.txt"
	AuditName  = "audit.jsonl"
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
}

// IndexRecorder is one recorder's chain slice in the index.
type IndexRecorder struct {
	Recorder string `json:"recorder_id"`
	Room     int64  `json:"room_id"`
	// PublicKey is the key registered for the recorder when the export
	// was written (standard base64), as in keys.txt.
	PublicKey string `json:"public_key"`
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
}

// IndexFile is a listed member and its SHA-256.
type IndexFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}
