package archive

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Selection names a session's evidence in the index: the segments of
// Rooms that the recorders tagged with Session, and those tagged with no
// session that overlap [From, To). With Session 0 it is every segment of
// Rooms overlapping [From, To).
type Selection struct {
	// Session is the evaluation session's id (0: none).
	Session int64
	// Rooms are the session's rooms. Required.
	Rooms []int64
	// From and To bound the span; From before To. Required.
	From, To time.Time
}

// validate checks sel.
func (sel Selection) validate() error {
	switch {
	case len(sel.Rooms) == 0:
		return fmt.Errorf("%w: 该评标没有评标室", ErrInvalid)
	case sel.From.IsZero() || !sel.From.Before(sel.To):
		return fmt.Errorf("%w: 时间范围 %s 至 %s 无效", ErrInvalid, sel.From.Format(time.RFC3339), sel.To.Format(time.RFC3339))
	case sel.Session < 0:
		return fmt.Errorf("%w: 评标编号 %d 无效", ErrInvalid, sel.Session)
	}
	return nil
}

// slice is one recorder's chain slice in the index: its rows from the
// first selected seq to the last (rows missing from the index leave
// holes the verifier names), and which of them the selection holds.
type slice struct {
	recorder string
	room     int64
	rows     []Segment
	selected map[int64]bool
}

// slices returns the chain slices of sel, by recorder id.
func (s *Service) slices(ctx context.Context, sel Selection) ([]slice, error) {
	if err := sel.validate(); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT recorder_id, array_agg(seq ORDER BY seq) FROM archive.segments
		WHERE room_id = ANY($1) AND (
			($2 <> 0 AND session_id = $2) OR
			(($2 = 0 OR session_id IS NULL) AND utc_end > $3 AND utc_start < $4))
		GROUP BY recorder_id ORDER BY recorder_id`, sel.Rooms, sel.Session, sel.From, sel.To)
	if err != nil {
		return nil, fmt.Errorf("select segments: %w", err)
	}
	type picked struct {
		recorder string
		seqs     []int64
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (picked, error) {
		var p picked
		err := r.Scan(&p.recorder, &p.seqs)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("select segments: %w", err)
	}
	out := make([]slice, 0, len(ps))
	for _, p := range ps {
		sl := slice{recorder: p.recorder, selected: map[int64]bool{}}
		for _, q := range p.seqs {
			sl.selected[q] = true
		}
		rows, err := s.db.Query(ctx, `SELECT `+segmentColumns+` FROM archive.segments
			WHERE recorder_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq`, p.recorder, p.seqs[0], p.seqs[len(p.seqs)-1])
		if err != nil {
			return nil, fmt.Errorf("chain slice of %s: %w", p.recorder, err)
		}
		sl.rows, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Segment, error) { return scanRow(r) })
		if err != nil {
			return nil, fmt.Errorf("chain slice of %s: %w", p.recorder, err)
		}
		for _, g := range sl.rows {
			if sl.selected[g.Seq] {
				sl.room = g.Room
				break
			}
		}
		out = append(out, sl)
	}
	return out, nil
}
