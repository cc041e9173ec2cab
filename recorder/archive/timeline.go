package archive

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// MinHole is the shortest stretch without a segment that a Timeline
// reports as a gap nobody recorded: consecutive segments of a recorder
// are contiguous (one ends where the next begins), so anything longer
// than a fraction of a frame interval is missing media.
const MinHole = 500 * time.Millisecond

// HoleReason is the reason of a gap no manifest records: the index
// holds no segment there (never recorded, or not uploaded yet).
const HoleReason = "没有录像（未录制或尚未上传）"

// Timeline is a session's archive laid out on one clock: per room, the
// segments of the selection and the gaps between and before them.
type Timeline struct {
	// Session, From and To are the selection.
	Session int64     `json:"session_id,omitempty"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// Start and End bound every room's segments (UTC); nil when the
	// selection holds none. Each lane's gaps are reported within them.
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
	// Rooms has one lane per room of the selection, in its order.
	Rooms []Lane `json:"rooms"`
}

// Lane is one room's part of a Timeline.
type Lane struct {
	// Room is the room's id.
	Room int64 `json:"room_id"`
	// Recorders and Streams list the recorders and streams of its
	// segments, sorted.
	Recorders []string `json:"recorders"`
	Streams   []string `json:"streams"`
	// Segments are ordered by start, stream, recorder and seq.
	Segments []TimelineSegment `json:"segments"`
	// Gaps are ordered by start: the gaps the manifests record, and the
	// holes (MinHole or longer) within the Timeline's bounds that no
	// segment or recorded gap covers.
	Gaps []TimelineGap `json:"gaps"`
}

// TimelineSegment is one segment on a lane.
type TimelineSegment struct {
	Hash     string `json:"hash"`
	Recorder string `json:"recorder_id"`
	Stream   string `json:"stream"`
	Seq      int64  `json:"seq"`
	// Start and End bound its media (UTC); DurationMS is End − Start in
	// milliseconds.
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	DurationMS int64     `json:"duration_ms"`
	Size       int64     `json:"size"`
	// Truncated marks a segment closed by crash recovery.
	Truncated bool `json:"truncated"`
	// VerifyState is StateVerified or StateBroken, as of VerifiedAt, or
	// StateDeleted for the tombstone of a segment deleted after the
	// retention period (its bytes are gone: it cannot be played);
	// Rechecked is true once VerifySession checked it after its
	// acceptance; VerifyDetail names the broken link, or why it was
	// deleted.
	VerifyState  string    `json:"verify_state"`
	VerifiedAt   time.Time `json:"verified_at"`
	Rechecked    bool      `json:"rechecked"`
	VerifyDetail string    `json:"verify_detail,omitempty"`
}

// TimelineGap is a stretch of a lane without media.
type TimelineGap struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Reason is the recorder's (a recorded gap) or HoleReason.
	Reason string `json:"reason"`
	// Recorded is true for a gap a manifest records; Segment is then the
	// segment whose manifest records it.
	Recorded bool   `json:"recorded"`
	Segment  string `json:"segment_hash,omitempty"`
}

// Timeline returns sel's segments and gaps per room. It picks segments
// as VerifySession does (the rooms' segments tagged with the session,
// and untagged ones overlapping the span). Errors: ErrInvalid (a bad
// selection), database errors.
func (s *Service) Timeline(ctx context.Context, sel Selection) (Timeline, error) {
	if err := sel.validate(); err != nil {
		return Timeline{}, fmt.Errorf("timeline: %w", err)
	}
	tl := Timeline{Session: sel.Session, From: sel.From.UTC(), To: sel.To.UTC(), Rooms: make([]Lane, len(sel.Rooms))}
	lanes := make(map[int64]*Lane, len(sel.Rooms))
	for i, r := range sel.Rooms {
		tl.Rooms[i] = Lane{Room: r, Recorders: []string{}, Streams: []string{}, Segments: []TimelineSegment{}, Gaps: []TimelineGap{}}
		lanes[r] = &tl.Rooms[i]
	}
	rows, err := s.db.Query(ctx, `SELECT hash, room_id, recorder_id, stream, seq, utc_start, utc_end, size, truncated,
			state, verified_at, verified_at > accepted_at,
			CASE WHEN deleted_at IS NULL THEN verify_detail ELSE delete_reason END
		FROM archive.segments WHERE room_id = ANY($1) AND (
			($2 <> 0 AND session_id = $2) OR
			(($2 = 0 OR session_id IS NULL) AND utc_end > $3 AND utc_start < $4))
		ORDER BY room_id, utc_start, stream, recorder_id, seq`, sel.Rooms, sel.Session, sel.From, sel.To)
	if err != nil {
		return Timeline{}, fmt.Errorf("timeline: %w", err)
	}
	var g TimelineSegment
	var room int64
	var hashes []string
	if _, err := pgx.ForEachRow(rows, []any{&g.Hash, &room, &g.Recorder, &g.Stream, &g.Seq, &g.Start, &g.End, &g.Size,
		&g.Truncated, &g.VerifyState, &g.VerifiedAt, &g.Rechecked, &g.VerifyDetail}, func() error {
		g.Start, g.End, g.VerifiedAt = g.Start.UTC(), g.End.UTC(), g.VerifiedAt.UTC()
		g.DurationMS = g.End.Sub(g.Start).Milliseconds()
		l := lanes[room]
		l.Segments = append(l.Segments, g)
		if !slices.Contains(l.Recorders, g.Recorder) {
			l.Recorders = append(l.Recorders, g.Recorder)
		}
		if !slices.Contains(l.Streams, g.Stream) {
			l.Streams = append(l.Streams, g.Stream)
		}
		hashes = append(hashes, g.Hash)
		if tl.Start == nil || g.Start.Before(*tl.Start) {
			st := g.Start
			tl.Start = &st
		}
		if tl.End == nil || g.End.After(*tl.End) {
			en := g.End
			tl.End = &en
		}
		return nil
	}); err != nil {
		return Timeline{}, fmt.Errorf("timeline: %w", err)
	}
	if err := s.recordedGaps(ctx, hashes, lanes); err != nil {
		return Timeline{}, err
	}
	for i := range tl.Rooms {
		l := &tl.Rooms[i]
		slices.Sort(l.Recorders)
		slices.Sort(l.Streams)
		if tl.Start != nil {
			l.Gaps = append(l.Gaps, holes(*l, *tl.Start, *tl.End)...)
		}
		slices.SortStableFunc(l.Gaps, func(a, b TimelineGap) int { return a.From.Compare(b.From) })
	}
	return tl, nil
}

// recordedGaps adds to each lane the gaps the manifests of its segments
// (hashes) record.
func (s *Service) recordedGaps(ctx context.Context, hashes []string, lanes map[int64]*Lane) error {
	if len(hashes) == 0 {
		return nil
	}
	rows, err := s.db.Query(ctx, `SELECT segment_hash, room_id, utc_from, utc_to, reason FROM archive.gaps
		WHERE segment_hash = ANY($1) ORDER BY room_id, utc_from, segment_hash, idx`, hashes)
	if err != nil {
		return fmt.Errorf("timeline gaps: %w", err)
	}
	var g TimelineGap
	var room int64
	if _, err := pgx.ForEachRow(rows, []any{&g.Segment, &room, &g.From, &g.To, &g.Reason}, func() error {
		g.From, g.To, g.Recorded = g.From.UTC(), g.To.UTC(), true
		if l := lanes[room]; l != nil {
			l.Gaps = append(l.Gaps, g)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("timeline gaps: %w", err)
	}
	return nil
}

// holes returns the stretches of [from, to) that neither the lane's
// segments nor its recorded gaps cover, MinHole or longer.
func holes(l Lane, from, to time.Time) []TimelineGap {
	type span struct{ from, to time.Time }
	covered := make([]span, 0, len(l.Segments)+len(l.Gaps))
	for _, g := range l.Segments {
		covered = append(covered, span{g.Start, g.End})
	}
	for _, g := range l.Gaps {
		covered = append(covered, span{g.From, g.To})
	}
	slices.SortFunc(covered, func(a, b span) int { return a.from.Compare(b.from) })
	var out []TimelineGap
	at := from
	add := func(end time.Time) {
		if end.Sub(at) >= MinHole {
			out = append(out, TimelineGap{From: at, To: end, Reason: HoleReason})
		}
	}
	for _, c := range covered {
		if c.from.After(at) {
			add(c.from)
		}
		if c.to.After(at) {
			at = c.to
		}
	}
	if to.After(at) {
		add(to)
	}
	return out
}
