package archive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
)

// maxHoldReason caps a hold's reason and release reason, in characters.
const maxHoldReason = 500

// Hold is a legal hold (法律保全) on a session's recordings: while it is
// active the retention job deletes none of them. A hold is never
// deleted; releasing it records when, by whom and why.
type Hold struct {
	ID int64 `json:"id"`
	// Session is the session whose recordings are held; Room, when not
	// 0, limits the hold to that room's recordings of the session.
	Session int64 `json:"session_id"`
	Room    int64 `json:"room_id,omitempty"`
	// Reason says why (a case number, a complaint); PlacedBy and
	// PlacedAt who placed it and when.
	Reason   string    `json:"reason"`
	PlacedBy string    `json:"placed_by"`
	PlacedAt time.Time `json:"placed_at"`
	// Active is false once released; ReleasedAt, ReleasedBy and
	// ReleaseReason then say when, by whom and why.
	Active        bool       `json:"active"`
	ReleasedAt    *time.Time `json:"released_at,omitempty"`
	ReleasedBy    string     `json:"released_by,omitempty"`
	ReleaseReason string     `json:"release_reason,omitempty"`
}

// HoldInput is a new hold.
type HoldInput struct {
	// Room limits the hold to one room of the session (0: all its rooms).
	Room int64 `json:"room_id"`
	// Reason says why. Required, at most 500 characters.
	Reason string `json:"reason"`
}

// checkReason trims a hold's or release's reason and checks it.
func checkReason(reason, what string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", errtext.Field(fmt.Errorf("%w: 必须填写%s", ErrInvalid, what), "reason")
	case utf8.RuneCountInString(reason) > maxHoldReason:
		return "", errtext.Field(fmt.Errorf("%w: %s不能超过%d字", ErrInvalid, what, maxHoldReason), "reason")
	}
	return reason, nil
}

const holdColumns = `id, session_id, coalesce(room_id, 0), reason, placed_by, placed_at, released_at,
	coalesce(released_by, ''), coalesce(release_reason, '')`

func scanHold(row pgx.Row) (Hold, error) {
	var h Hold
	if err := row.Scan(&h.ID, &h.Session, &h.Room, &h.Reason, &h.PlacedBy, &h.PlacedAt, &h.ReleasedAt,
		&h.ReleasedBy, &h.ReleaseReason); err != nil {
		return Hold{}, err
	}
	h.PlacedAt = h.PlacedAt.UTC()
	if h.ReleasedAt != nil {
		t := h.ReleasedAt.UTC()
		h.ReleasedAt = &t
	}
	h.Active = h.ReleasedAt == nil
	return h, nil
}

func sessionObject(id int64) string { return "session:" + strconv.FormatInt(id, 10) }

// PlaceHold places a legal hold on session's recordings (in.Room's only,
// when set) by actor and appends "archive.hold" to the audit log, in one
// transaction. The caller checks that the session exists and the room is
// one of its rooms. Errors: ErrInvalid (no reason, a reason too long, a
// bad id).
func (s *Service) PlaceHold(ctx context.Context, actor string, session int64, in HoldInput) (Hold, error) {
	reason, err := checkReason(in.Reason, "法律保全的原因")
	switch {
	case err != nil:
		return Hold{}, err
	case actor == "":
		return Hold{}, fmt.Errorf("%w: place hold: actor", ErrInvalid)
	case session <= 0:
		return Hold{}, fmt.Errorf("%w: 评标编号 %d 无效", ErrInvalid, session)
	case in.Room < 0:
		return Hold{}, errtext.Field(fmt.Errorf("%w: 评标室编号 %d 无效", ErrInvalid, in.Room), "room_id")
	}
	var room *int64
	if in.Room > 0 {
		room = &in.Room
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var h Hold
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		h, err = scanHold(tx.QueryRow(ctx, `INSERT INTO archive.holds (session_id, room_id, reason, placed_by, placed_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+holdColumns, session, room, reason, actor, now))
		if err != nil {
			return fmt.Errorf("insert hold: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "archive.hold", Object: sessionObject(session),
			Detail: map[string]any{"hold_id": h.ID, "session_id": session, "room_id": in.Room, "reason": reason}})
		return err
	})
	if err != nil {
		return Hold{}, fmt.Errorf("hold session %d: %w", session, err)
	}
	s.log.Info("legal hold placed", "session", session, "room", in.Room, "hold", h.ID, "actor", actor)
	return h, nil
}

// ReleaseHold releases session's hold id by actor for reason and appends
// "archive.hold_release" to the audit log, in one transaction. Errors:
// ErrInvalid (no reason, a reason too long), ErrNotFound (no such hold
// of this session), ErrConflict (already released).
func (s *Service) ReleaseHold(ctx context.Context, actor string, session, id int64, reason string) (Hold, error) {
	reason, err := checkReason(reason, "解除保全的原因")
	switch {
	case err != nil:
		return Hold{}, err
	case actor == "":
		return Hold{}, fmt.Errorf("%w: release hold: actor", ErrInvalid)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var h Hold
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		h, err = scanHold(tx.QueryRow(ctx, `SELECT `+holdColumns+` FROM archive.holds
			WHERE id = $1 AND session_id = $2 FOR UPDATE`, id, session))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: 该评标没有编号为 %d 的法律保全", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("read hold: %w", err)
		}
		if !h.Active {
			return fmt.Errorf("%w: 法律保全 %d 已于 %s 解除", ErrConflict, id, h.ReleasedAt.Format(time.RFC3339))
		}
		h, err = scanHold(tx.QueryRow(ctx, `UPDATE archive.holds SET released_at = $2, released_by = $3, release_reason = $4
			WHERE id = $1 RETURNING `+holdColumns, id, now, actor, reason))
		if err != nil {
			return fmt.Errorf("release hold: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "archive.hold_release", Object: sessionObject(session),
			Detail: map[string]any{"hold_id": id, "session_id": session, "room_id": h.Room, "reason": reason,
				"hold_reason": h.Reason, "placed_by": h.PlacedBy, "placed_at": h.PlacedAt}})
		return err
	})
	if err != nil {
		return Hold{}, fmt.Errorf("release hold %d of session %d: %w", id, session, err)
	}
	s.log.Info("legal hold released", "session", session, "hold", id, "actor", actor)
	return h, nil
}

// Holds lists session's holds, active and released, oldest first.
func (s *Service) Holds(ctx context.Context, session int64) ([]Hold, error) {
	rows, err := s.db.Query(ctx, `SELECT `+holdColumns+` FROM archive.holds WHERE session_id = $1 ORDER BY id`, session)
	if err != nil {
		return nil, fmt.Errorf("holds of session %d: %w", session, err)
	}
	hs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Hold, error) { return scanHold(r) })
	if err != nil {
		return nil, fmt.Errorf("holds of session %d: %w", session, err)
	}
	if hs == nil {
		hs = []Hold{}
	}
	return hs, nil
}

// rowsQuerier is a pool or a transaction.
type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// activeHolds lists every active hold through q.
func activeHolds(ctx context.Context, q rowsQuerier) ([]Hold, error) {
	rows, err := q.Query(ctx, `SELECT `+holdColumns+` FROM archive.holds WHERE released_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("active holds: %w", err)
	}
	hs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Hold, error) { return scanHold(r) })
	if err != nil {
		return nil, fmt.Errorf("active holds: %w", err)
	}
	return hs, nil
}
