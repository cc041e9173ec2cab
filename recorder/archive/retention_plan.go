package archive

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// oldSegment is a live segment that ended before the cutoff: perhaps past
// retention, unless its session ended later or a hold covers it.
type oldSegment struct {
	hash     string
	size     int64
	recorder string
	seq      int64
	room     int64
	session  int64
	start    time.Time
	end      time.Time
}

// oldSegments returns the next page of live segments that ended before
// cutoff, after the given one, by end time and hash.
func (r *Retention) oldSegments(ctx context.Context, cutoff time.Time, after *oldSegment) ([]oldSegment, error) {
	afterEnd, afterHash := time.Time{}, ""
	if after != nil {
		afterEnd, afterHash = after.end, after.hash
	}
	rows, err := r.svc.db.Query(ctx, `SELECT hash, size, recorder_id, seq, room_id, coalesce(session_id, 0), utc_start, utc_end
		FROM archive.segments WHERE deleted_at IS NULL AND utc_end < $1 AND (utc_end, hash) > ($2, $3)
		ORDER BY utc_end, hash LIMIT $4`, cutoff, afterEnd, afterHash, r.batch)
	if err != nil {
		return nil, fmt.Errorf("segments past retention: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (oldSegment, error) {
		var c oldSegment
		err := row.Scan(&c.hash, &c.size, &c.recorder, &c.seq, &c.room, &c.session, &c.start, &c.end)
		c.start, c.end = c.start.UTC(), c.end.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("segments past retention: %w", err)
	}
	return out, nil
}

// sessionInfo is what the planner knows of a session.
type sessionInfo struct {
	known bool
	sel   Selection
	ended time.Time // zero while it runs
}

// cover is an active hold with what it covers.
type cover struct {
	hold  Hold
	rooms []int64 // the session's rooms the hold covers (its span's untagged segments)
	from  time.Time
	to    time.Time
}

// covers reports whether the hold keeps segment c: one of its session's
// (in its room, when it names one), or an untagged one of a room it
// covers overlapping the session's span.
func (h cover) covers(c oldSegment) bool {
	if c.session == h.hold.Session {
		return h.hold.Room == 0 || c.room == h.hold.Room
	}
	return c.session == 0 && slices.Contains(h.rooms, c.room) && c.end.After(h.from) && c.start.Before(h.to)
}

// planner decides which old segments are past retention, caching what it
// learns of sessions and holds during one run.
type planner struct {
	r        *Retention
	cutoff   time.Time
	sessions map[int64]sessionInfo
	covers   map[int64]cover // by hold id
	loaded   bool
}

func newPlanner(r *Retention, cutoff time.Time) *planner {
	return &planner{r: r, cutoff: cutoff, sessions: map[int64]sessionInfo{}, covers: map[int64]cover{}}
}

// session returns what the Sessions adapter says of id, once per run.
func (pl *planner) session(ctx context.Context, id int64) (sessionInfo, error) {
	if si, ok := pl.sessions[id]; ok {
		return si, nil
	}
	sel, ended, err := pl.r.sessions.SessionEvidence(ctx, id)
	var si sessionInfo
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return sessionInfo{}, fmt.Errorf("session %d: %w", id, err)
	default:
		si = sessionInfo{known: true, sel: sel, ended: ended.UTC()}
	}
	pl.sessions[id] = si
	return si, nil
}

// useHolds makes the active holds hs the ones that count, resolving any
// not seen before.
func (pl *planner) useHolds(ctx context.Context, hs []Hold) error {
	next := make(map[int64]cover, len(hs))
	for _, h := range hs {
		if c, ok := pl.covers[h.ID]; ok {
			next[h.ID] = c
			continue
		}
		si, err := pl.session(ctx, h.Session)
		if err != nil {
			return fmt.Errorf("hold %d: %w", h.ID, err)
		}
		c := cover{hold: h}
		if si.known {
			c.from, c.to = si.sel.From, si.sel.To
			for _, room := range si.sel.Rooms {
				if h.Room == 0 || room == h.Room {
					c.rooms = append(c.rooms, room)
				}
			}
		}
		next[h.ID] = c
	}
	pl.covers, pl.loaded = next, true
	return nil
}

// held reports whether an active hold covers c.
func (pl *planner) held(c oldSegment) bool {
	for _, h := range pl.covers {
		if h.covers(c) {
			return true
		}
	}
	return false
}

// decide sorts a page of old segments: it counts the held and the kept
// into rep and returns the rest, past retention.
func (pl *planner) decide(ctx context.Context, page []oldSegment, rep *ExpireReport) ([]ExpiredSegment, error) {
	if !pl.loaded {
		hs, err := activeHolds(ctx, pl.r.svc.db)
		if err != nil {
			return nil, err
		}
		if err := pl.useHolds(ctx, hs); err != nil {
			return nil, err
		}
	}
	var due []ExpiredSegment
	for _, c := range page {
		since, ok, err := pl.retainedSince(ctx, c)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok:
			rep.Kept++
		case pl.held(c):
			rep.Held++
		default:
			due = append(due, expired(c, since, pl.r.years))
		}
	}
	return due, nil
}

// retainedSince returns when c's retention began (its session's end, or
// its own end for a segment of no known session) and whether that is
// before the cutoff.
func (pl *planner) retainedSince(ctx context.Context, c oldSegment) (time.Time, bool, error) {
	if c.session == 0 {
		return c.end, c.end.Before(pl.cutoff), nil
	}
	si, err := pl.session(ctx, c.session)
	if err != nil {
		return time.Time{}, false, err
	}
	switch {
	case !si.known:
		return c.end, c.end.Before(pl.cutoff), nil
	case si.ended.IsZero():
		return time.Time{}, false, nil
	}
	since := si.ended
	if c.end.After(since) {
		since = c.end
	}
	return since, since.Before(pl.cutoff), nil
}

// expired describes old segment c as deleted after retention since since.
func expired(c oldSegment, since time.Time, years int) ExpiredSegment {
	const layout = "2006-01-02 15:04:05Z07:00"
	var reason string
	if c.session > 0 {
		reason = fmt.Sprintf("超过保存期限 %d 年：评标 %d 于 %s 结束 (retention of %d years ended: session %d ended %s)",
			years, c.session, since.Format(layout), years, c.session, since.Format(layout))
	} else {
		reason = fmt.Sprintf("超过保存期限 %d 年：录像于 %s 结束，不属于任何评标 (retention of %d years ended: recorded outside any session, ended %s)",
			years, since.Format(layout), years, since.Format(layout))
	}
	return ExpiredSegment{Hash: c.hash, Size: c.size, Recorder: c.recorder, Seq: c.seq, Room: c.room, Session: c.session,
		Start: c.start, End: c.end, Since: since, Reason: reason}
}
