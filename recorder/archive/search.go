package archive

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// StateEmpty is a session summary's state when the index holds no
// segment of the session (or only tombstones).
const StateEmpty = "empty"

// SessionSummary is what the index holds of one session's selection,
// for the archive search: how much was recorded, over which span, and
// how its segments stood when last checked.
type SessionSummary struct {
	// Session is the selection's session id (0 for a selection of rooms).
	Session int64 `json:"session_id"`
	// Segments counts the selected segments still held (tombstones of
	// segments deleted after the retention period aside: Deleted counts
	// them), Bytes their sizes and RoomsRecorded the rooms with at least
	// one of them.
	Segments      int   `json:"segments"`
	Bytes         int64 `json:"bytes"`
	RoomsRecorded int   `json:"rooms_recorded"`
	// DurationMS sums the segments' durations (milliseconds; the rooms
	// add up, so two rooms recording an hour make two hours).
	DurationMS int64 `json:"duration_ms"`
	// Start and End bound the segments' media (UTC); nil without any.
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
	// Verified and Broken count the segments by state; Rechecked counts
	// those verified again after their acceptance (VerifySession);
	// Truncated those closed by crash recovery; Gaps the gaps their
	// manifests record.
	Verified  int `json:"verified"`
	Broken    int `json:"broken"`
	Deleted   int `json:"deleted"`
	Rechecked int `json:"rechecked"`
	Truncated int `json:"truncated"`
	Gaps      int `json:"gaps"`
	// LastVerifiedAt is the latest check of any of them.
	LastVerifiedAt *time.Time `json:"last_verified_at,omitempty"`
	// State is StateBroken when any segment is broken, StateVerified
	// when segments are held and none is, StateDeleted when only
	// tombstones are left, StateEmpty when nothing was recorded.
	State string `json:"state"`
}

// Summaries returns the summary of each selection, in the order given
// (an empty summary for a selection with no segment). A selection picks
// segments as VerifySession and the export do: its rooms' segments
// tagged with the session, and untagged ones overlapping its span.
// Errors: ErrInvalid (a bad selection), database errors.
func (s *Service) Summaries(ctx context.Context, sels []Selection) ([]SessionSummary, error) {
	var idx []int32
	var sessions, rooms []int64
	var froms, tos []time.Time
	for i, sel := range sels {
		if err := sel.validate(); err != nil {
			return nil, fmt.Errorf("summaries: selection %d: %w", i, err)
		}
		for _, r := range sel.Rooms {
			idx, sessions, rooms = append(idx, int32(i)), append(sessions, sel.Session), append(rooms, r)
			froms, tos = append(froms, sel.From), append(tos, sel.To)
		}
	}
	out := make([]SessionSummary, len(sels))
	for i, sel := range sels {
		out[i] = SessionSummary{Session: sel.Session, State: StateEmpty}
	}
	if len(idx) == 0 {
		return out, nil
	}
	rows, err := s.db.Query(ctx, `WITH sel AS (
			SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::timestamptz[])
				AS t(i, session_id, room_id, t_from, t_to))
		SELECT sel.i, count(*) FILTER (WHERE live), coalesce(sum(g.size) FILTER (WHERE live), 0),
			count(DISTINCT g.room_id) FILTER (WHERE live),
			coalesce(sum(EXTRACT(EPOCH FROM g.utc_end - g.utc_start) * 1000) FILTER (WHERE live), 0)::bigint,
			min(g.utc_start) FILTER (WHERE live), max(g.utc_end) FILTER (WHERE live),
			count(*) FILTER (WHERE g.state = 'verified'), count(*) FILTER (WHERE g.state = 'broken'),
			count(*) FILTER (WHERE NOT live),
			count(*) FILTER (WHERE live AND g.verified_at > g.accepted_at), count(*) FILTER (WHERE live AND g.truncated),
			coalesce(sum(jsonb_array_length(g.gaps)), 0), max(g.verified_at) FILTER (WHERE live)
		FROM sel JOIN archive.segments g ON g.room_id = sel.room_id AND (
			(sel.session_id <> 0 AND g.session_id = sel.session_id) OR
			((sel.session_id = 0 OR g.session_id IS NULL) AND g.utc_end > sel.t_from AND g.utc_start < sel.t_to))
		CROSS JOIN LATERAL (SELECT g.deleted_at IS NULL AS live) l
		GROUP BY sel.i`, idx, sessions, rooms, froms, tos)
	if err != nil {
		return nil, fmt.Errorf("summaries: %w", err)
	}
	var i int32
	var x SessionSummary
	var start, end, verified *time.Time
	if _, err := pgx.ForEachRow(rows, []any{&i, &x.Segments, &x.Bytes, &x.RoomsRecorded, &x.DurationMS, &start, &end,
		&x.Verified, &x.Broken, &x.Deleted, &x.Rechecked, &x.Truncated, &x.Gaps, &verified}, func() error {
		x.Session = sels[i].Session
		x.Start, x.End, x.LastVerifiedAt = utcPtr(start), utcPtr(end), utcPtr(verified)
		switch {
		case x.Broken > 0:
			x.State = StateBroken
		case x.Segments > 0:
			x.State = StateVerified
		default:
			x.State = StateDeleted
		}
		out[i] = x
		x = SessionSummary{}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("summaries: %w", err)
	}
	return out, nil
}

// utcPtr returns t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
