package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Position is where a room's archive covers an instant: the segment and
// the offset into it.
type Position struct {
	// SegmentHash is the segment's key (hex SHA-256); Open plays it.
	SegmentHash string `json:"segment_hash"`
	// Recorder is the recorder that wrote it.
	Recorder string `json:"recorder_id"`
	// Stream names its tracks (see StreamName).
	Stream string `json:"stream"`
	// OffsetFromStart is how far into the segment the instant lies.
	OffsetFromStart time.Duration `json:"offset_ns"`
	// UTCStart and UTCEnd bound the segment.
	UTCStart time.Time `json:"utc_start"`
	UTCEnd   time.Time `json:"utc_end"`
	// Gap is set when the segment's manifest records a gap at the instant
	// (e.g. one camera lost while the others recorded).
	Gap *Gap `json:"gap,omitempty"`
}

// Gap is an interval a manifest records with no media, and why.
type Gap struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason"`
	// Segment is the segment whose manifest records it.
	Segment string `json:"segment_hash"`
}

// GapError is Locate's error for an instant no segment covers but a
// manifest recorded as a gap; it wraps ErrNotFound.
type GapError struct {
	// Gap is the recorded gap.
	Gap Gap
}

// Error says so in Chinese, with the reason the recorder gave.
func (e *GapError) Error() string {
	return fmt.Sprintf("该时刻处于录像中断期间（%s 至 %s，原因：%s）",
		e.Gap.From.UTC().Format(time.RFC3339Nano), e.Gap.To.UTC().Format(time.RFC3339Nano), e.Gap.Reason)
}

// Unwrap returns ErrNotFound.
func (e *GapError) Unwrap() error { return ErrNotFound }

// Locate returns the position of instant at in room roomID's archive: the
// segment with utc_start ≤ at < utc_end (the first by stream and recorder
// when several streams cover it; LocateAll returns all). Errors: a
// *GapError (wrapping ErrNotFound) when no segment covers it but a
// manifest recorded a gap there, ErrNotFound otherwise.
func (s *Service) Locate(ctx context.Context, roomID int64, at time.Time) (Position, error) {
	ps, err := s.LocateAll(ctx, roomID, at)
	if err != nil {
		return Position{}, err
	}
	return ps[0], nil
}

// LocateAll is Locate returning every stream that covers the instant,
// ordered by stream and recorder; never empty without an error.
func (s *Service) LocateAll(ctx context.Context, roomID int64, at time.Time) ([]Position, error) {
	rows, err := s.db.Query(ctx, `SELECT hash, recorder_id, stream, utc_start, utc_end FROM archive.segments
		WHERE room_id = $1 AND utc_start <= $2 AND utc_end > $2 AND deleted_at IS NULL
		ORDER BY stream, recorder_id, seq`, roomID, at)
	if err != nil {
		return nil, fmt.Errorf("locate room %d at %s: %w", roomID, at, err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Position, error) {
		var p Position
		err := r.Scan(&p.SegmentHash, &p.Recorder, &p.Stream, &p.UTCStart, &p.UTCEnd)
		p.UTCStart, p.UTCEnd = p.UTCStart.UTC(), p.UTCEnd.UTC()
		p.OffsetFromStart = at.Sub(p.UTCStart)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("locate room %d at %s: %w", roomID, at, err)
	}
	gap, err := s.gapAt(ctx, roomID, at)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		if gap != nil {
			return nil, &GapError{Gap: *gap}
		}
		var deleted bool
		if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM archive.segments WHERE room_id = $1
			AND utc_start <= $2 AND utc_end > $2 AND deleted_at IS NOT NULL)`, roomID, at).Scan(&deleted); err != nil {
			return nil, fmt.Errorf("locate room %d at %s: %w", roomID, at, err)
		}
		if deleted {
			return nil, fmt.Errorf("%w: 评标室 %d 该时刻的录像已超过保存期限删除", ErrNotFound, roomID)
		}
		return nil, fmt.Errorf("%w: 该时刻没有评标室 %d 的录像", ErrNotFound, roomID)
	}
	if gap != nil {
		for i := range ps {
			if ps[i].SegmentHash == gap.Segment {
				g := *gap
				ps[i].Gap = &g
			}
		}
	}
	return ps, nil
}

// gapAt returns the latest-starting recorded gap of the room containing
// at (from ≤ at < to), or nil.
func (s *Service) gapAt(ctx context.Context, roomID int64, at time.Time) (*Gap, error) {
	var g Gap
	err := s.db.QueryRow(ctx, `SELECT utc_from, utc_to, reason, segment_hash FROM archive.gaps
		WHERE room_id = $1 AND utc_from <= $2 AND utc_to > $2 ORDER BY utc_from DESC, segment_hash LIMIT 1`, roomID, at).
		Scan(&g.From, &g.To, &g.Reason, &g.Segment)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gap of room %d at %s: %w", roomID, at, err)
	}
	g.From, g.To = g.From.UTC(), g.To.UTC()
	return &g, nil
}
