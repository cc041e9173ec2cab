package archive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// The verification states of an indexed segment.
const (
	// StateVerified: its manifest's signature, its bytes and its chain
	// links held when last checked (on acceptance, then by VerifySession).
	StateVerified = "verified"
	// StateBroken: the last VerifySession found a broken link at this
	// segment (VerifyDetail says which).
	StateBroken = "broken"
	// StateDeleted: the retention job deleted the segment's bytes after
	// the retention period; the row is its tombstone (see Tombstone) and
	// keeps the signed manifest, so the chain still verifies across it.
	StateDeleted = "deleted"
)

// Tombstone records a segment deleted after the retention period: when,
// by whom and why; BlobRemovedAt is when its bytes left the store (nil
// while the removal is still to be done).
type Tombstone struct {
	DeletedAt     time.Time  `json:"deleted_at"`
	DeletedBy     string     `json:"deleted_by"`
	Reason        string     `json:"reason"`
	BlobRemovedAt *time.Time `json:"blob_removed_at,omitempty"`
}

// Segment is an indexed segment.
type Segment struct {
	// Hash is the hex SHA-256 of the segment bytes, its key in the Store.
	Hash string `json:"hash"`
	// Size is the segment's length in bytes.
	Size int64 `json:"size"`
	// Recorder, Room and Session say who recorded it where; Session is 0
	// for a recording outside a session.
	Recorder string `json:"recorder_id"`
	Room     int64  `json:"room_id"`
	Session  int64  `json:"session_id,omitempty"`
	// Seq is the manifest's place in the recorder's chain.
	Seq int64 `json:"seq"`
	// Name is the segment's file name on the recorder.
	Name string `json:"name"`
	// Stream names the segment's tracks, e.g. "cam1+mic" (see StreamName).
	Stream string `json:"stream"`
	// Start and End bound the segment's media, UTC (microseconds).
	Start time.Time `json:"utc_start"`
	End   time.Time `json:"utc_end"`
	// Truncated marks a segment closed by crash recovery.
	Truncated bool `json:"truncated"`
	// ManifestHash is the manifest's chain link (its algorithm over its
	// canonical bytes).
	ManifestHash string `json:"manifest_hash"`
	// AcceptedAt is when the manifest was accepted.
	AcceptedAt time.Time `json:"accepted_at"`
	// VerifiedAt is when the segment was last checked (its acceptance,
	// or the last VerifySession), State the outcome (StateVerified or
	// StateBroken) and VerifyDetail the broken link (empty when
	// verified).
	VerifiedAt   time.Time `json:"verified_at"`
	State        string    `json:"state"`
	VerifyDetail string    `json:"verify_detail,omitempty"`
	// Tombstone is set when the segment was deleted after the retention
	// period (State is then StateDeleted).
	Tombstone *Tombstone `json:"tombstone,omitempty"`
	// Manifest is the signed manifest, parsed from ManifestRaw.
	Manifest manifest.Manifest `json:"manifest"`
	// ManifestRaw is the manifest's canonical bytes as accepted.
	ManifestRaw []byte `json:"-"`
}

// StreamName names a manifest's stream: its track names (the kind for an
// unnamed track) joined by "+", in manifest order.
func StreamName(m manifest.Manifest) string {
	names := make([]string, 0, len(m.Tracks))
	for _, t := range m.Tracks {
		n := t.Name
		if n == "" {
			n = t.Kind
		}
		names = append(names, n)
	}
	return strings.Join(names, "+")
}

// segmentColumns are the columns scanSegment reads, in order.
const segmentColumns = `hash, size, recorder_id, room_id, coalesce(session_id, 0), seq, name, stream,
	utc_start, utc_end, truncated, manifest_hash, accepted_at, verified_at, state, verify_detail, manifest_raw,
	deleted_at, coalesce(deleted_by, ''), coalesce(delete_reason, ''), blob_removed_at`

func scanSegment(row pgx.Row) (Segment, error) {
	g, err := scanRow(row)
	if err != nil {
		return Segment{}, err
	}
	m, err := manifest.Parse(g.ManifestRaw)
	if err != nil {
		return Segment{}, fmt.Errorf("segment %s: stored manifest: %w", g.Hash, err)
	}
	g.Manifest = m
	return g, nil
}

// scanRow reads a row of segmentColumns without parsing its manifest
// (the verifier judges a manifest that does not parse).
func scanRow(row pgx.Row) (Segment, error) {
	var g Segment
	var raw string
	var ts Tombstone
	var deletedAt *time.Time
	if err := row.Scan(&g.Hash, &g.Size, &g.Recorder, &g.Room, &g.Session, &g.Seq, &g.Name, &g.Stream,
		&g.Start, &g.End, &g.Truncated, &g.ManifestHash, &g.AcceptedAt, &g.VerifiedAt, &g.State, &g.VerifyDetail, &raw,
		&deletedAt, &ts.DeletedBy, &ts.Reason, &ts.BlobRemovedAt); err != nil {
		return Segment{}, err
	}
	if deletedAt != nil {
		ts.DeletedAt = deletedAt.UTC()
		if ts.BlobRemovedAt != nil {
			t := ts.BlobRemovedAt.UTC()
			ts.BlobRemovedAt = &t
		}
		g.Tombstone = &ts
	}
	g.Start, g.End, g.AcceptedAt, g.VerifiedAt = g.Start.UTC(), g.End.UTC(), g.AcceptedAt.UTC(), g.VerifiedAt.UTC()
	g.ManifestRaw = []byte(raw)
	return g, nil
}

// Segment returns the indexed segment hash. Errors: ErrBadKey,
// ErrNotFound (not indexed, perhaps still waiting for its manifest).
func (s *Service) Segment(ctx context.Context, hash string) (Segment, error) {
	if err := CheckKey(hash); err != nil {
		return Segment{}, err
	}
	g, err := scanSegment(s.db.QueryRow(ctx, `SELECT `+segmentColumns+` FROM archive.segments WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return Segment{}, fmt.Errorf("%w: segment %s is not indexed", ErrNotFound, hash)
	}
	if err != nil {
		return Segment{}, fmt.Errorf("segment %s: %w", hash, err)
	}
	return g, nil
}

// Open returns an indexed segment's bytes for playback (seekable, for
// HTTP range requests) and its index row; the caller closes the Object.
// A blob whose manifest was not accepted is not opened, nor a segment
// deleted after the retention period. Errors: ErrBadKey, ErrNotFound.
func (s *Service) Open(ctx context.Context, hash string) (Object, Segment, error) {
	g, err := s.Segment(ctx, hash)
	if err != nil {
		return nil, Segment{}, err
	}
	if g.Tombstone != nil {
		return nil, Segment{}, fmt.Errorf("%w: 该录像片段已于 %s 超过保存期限删除", ErrNotFound,
			g.Tombstone.DeletedAt.Format("2006-01-02"))
	}
	o, err := s.store.Open(ctx, hash)
	if err != nil {
		return nil, Segment{}, fmt.Errorf("open segment %s: %w", hash, err)
	}
	return o, g, nil
}

// Filter selects segments for Segments; zero fields match everything.
type Filter struct {
	// Session and Room select by id.
	Session, Room int64
	// Recorder selects one recorder's segments.
	Recorder string
	// From and To select segments overlapping [From, To).
	From, To time.Time
	// Limit caps the result (default and maximum 10000).
	Limit int
}

// Segments lists indexed segments matching f ordered by start time,
// recorder and seq; segments deleted after the retention period are not
// listed.
func (s *Service) Segments(ctx context.Context, f Filter) ([]Segment, error) {
	if f.Limit <= 0 || f.Limit > 10000 {
		f.Limit = 10000
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := s.db.Query(ctx, `SELECT `+segmentColumns+` FROM archive.segments
		WHERE deleted_at IS NULL AND ($1 = 0 OR session_id = $1) AND ($2 = 0 OR room_id = $2) AND ($3 = '' OR recorder_id = $3)
		  AND ($4::timestamptz IS NULL OR utc_end > $4) AND ($5::timestamptz IS NULL OR utc_start < $5)
		ORDER BY utc_start, recorder_id, seq LIMIT $6`, f.Session, f.Room, f.Recorder, from, to, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Segment, error) { return scanSegment(r) })
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	return out, nil
}

// ChainHead returns the recorder's last accepted seq and manifest hash;
// seq 0 and "" when none was accepted. A recorder resuming its uploads
// asks for it.
func (s *Service) ChainHead(ctx context.Context, recorderID string) (int64, string, error) {
	return chainHead(ctx, s.db, recorderID)
}

// chainHead reads the recorder's chain head through q (the pool or the
// accepting transaction); seq 0 means none (accepted seqs start at 1).
func chainHead(ctx context.Context, q querier, recorderID string) (int64, string, error) {
	var seq int64
	var h string
	err := q.QueryRow(ctx, `SELECT seq, manifest_hash FROM archive.chain_heads WHERE recorder_id = $1`, recorderID).Scan(&seq, &h)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("chain head of %q: %w", recorderID, err)
	}
	return seq, h, nil
}
