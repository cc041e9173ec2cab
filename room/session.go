package room

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
)

// Session is an evaluation session spanning a main venue and any remote
// venues.
type Session struct {
	ID int64 `json:"id"`
	// Ref is the session reference shared with the expert pool's draw
	// (its session_ref) and evaluator accounts.
	Ref string `json:"ref"`
	// DrawID is the expert pool draw that staffs the committee; 0 when
	// none is linked yet.
	DrawID       int64     `json:"draw_id,omitempty"`
	ProjectCode  string    `json:"project_code"`
	ProjectName  string    `json:"project_name"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	MainVenue    string    `json:"main_venue"`
	RemoteVenues []string  `json:"remote_venues"`
	Phase        Phase     `json:"phase"`
	// PhaseChangedAt is when the session entered its phase.
	PhaseChangedAt time.Time `json:"phase_changed_at"`
	// AbortReason says why an aborted session was aborted.
	AbortReason string `json:"abort_reason,omitempty"`
	// SealedAt is when the materials were sealed (nil when not sealed).
	SealedAt  *time.Time `json:"sealed_at,omitempty"`
	Rooms     []Room     `json:"rooms"`
	CreatedAt time.Time  `json:"created_at"`
}

// Venues returns the main venue followed by the remote venues.
func (s Session) Venues() []string { return append([]string{s.MainVenue}, s.RemoteVenues...) }

// HasVenue reports whether venue takes part in the session.
func (s Session) HasVenue(venue string) bool { return slices.Contains(s.Venues(), venue) }

// Room returns the session's room with id.
func (s Session) Room(id int64) (Room, bool) {
	for _, r := range s.Rooms {
		if r.ID == id {
			return r, true
		}
	}
	return Room{}, false
}

// IDString is the session id in decimal, as media tokens and the SFU name
// it.
func (s Session) IDString() string { return strconv.FormatInt(s.ID, 10) }

// SessionInput is a new session.
type SessionInput struct {
	Ref          string    `json:"ref"`
	DrawID       int64     `json:"draw_id"`
	ProjectCode  string    `json:"project_code"`
	ProjectName  string    `json:"project_name"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	MainVenue    string    `json:"main_venue"`
	RemoteVenues []string  `json:"remote_venues"`
}

// Actor is who acts on a session: the audit actor ("user:7") and, for
// venue staff, their venue. An empty Venue means an actor bound to no
// venue (an administrator).
type Actor struct {
	ID    string
	Venue string
}

var (
	refRE   = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	venueRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
)

func (in *SessionInput) validate() error {
	in.Ref, in.ProjectCode, in.ProjectName = strings.TrimSpace(in.Ref), strings.TrimSpace(in.ProjectCode), strings.TrimSpace(in.ProjectName)
	in.MainVenue = strings.TrimSpace(in.MainVenue)
	switch {
	case !refRE.MatchString(in.Ref):
		return errtext.Field(fmt.Errorf("%w: 评标会话编号须为 1–64 位字母、数字或 _ . : -", ErrInvalid), "ref")
	case in.DrawID < 0:
		return errtext.Field(fmt.Errorf("%w: 抽取编号无效", ErrInvalid), "draw_id")
	case in.ProjectCode == "" || utf8.RuneCountInString(in.ProjectCode) > 64:
		return errtext.Field(fmt.Errorf("%w: 项目编号不能为空且不超过64字", ErrInvalid), "project_code")
	case in.ProjectName == "" || utf8.RuneCountInString(in.ProjectName) > 200:
		return errtext.Field(fmt.Errorf("%w: 项目名称不能为空且不超过200字", ErrInvalid), "project_name")
	case in.StartsAt.IsZero():
		return errtext.Field(fmt.Errorf("%w: 必须填写计划开始时间", ErrInvalid), "starts_at")
	case in.EndsAt.IsZero():
		return errtext.Field(fmt.Errorf("%w: 必须填写预计结束时间", ErrInvalid), "ends_at")
	case !in.EndsAt.After(in.StartsAt):
		return errtext.Field(fmt.Errorf("%w: 预计结束时间必须晚于开始时间", ErrInvalid), "ends_at")
	case !venueRE.MatchString(in.MainVenue):
		return errtext.Field(fmt.Errorf("%w: 主场场地编码无效", ErrInvalid), "main_venue")
	}
	seen := map[string]bool{in.MainVenue: true}
	for i, v := range in.RemoteVenues {
		v = strings.TrimSpace(v)
		in.RemoteVenues[i] = v
		if !venueRE.MatchString(v) {
			return errtext.Field(fmt.Errorf("%w: 副场场地编码 %q 无效", ErrInvalid, v), "remote_venues")
		}
		if seen[v] {
			return errtext.Field(fmt.Errorf("%w: 场地 %s 重复", ErrInvalid, v), "remote_venues")
		}
		seen[v] = true
	}
	in.StartsAt, in.EndsAt = in.StartsAt.UTC().Truncate(time.Microsecond), in.EndsAt.UTC().Truncate(time.Microsecond)
	return nil
}

// CreateSession creates a scheduled session. Errors: ErrInvalid,
// ErrConflict (the reference is taken).
func (s *Service) CreateSession(ctx context.Context, actor string, in SessionInput) (Session, error) {
	if actor == "" {
		return Session{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	in.RemoteVenues = slices.Clone(in.RemoteVenues)
	if err := in.validate(); err != nil {
		return Session{}, err
	}
	var id int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var drawID *int64
		if in.DrawID > 0 {
			drawID = &in.DrawID
		}
		now := s.nowUTC()
		err := tx.QueryRow(ctx, `INSERT INTO room.sessions (ref, draw_id, project_code, project_name, starts_at, ends_at,
				main_venue, phase_changed_at, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id`,
			in.Ref, drawID, in.ProjectCode, in.ProjectName, in.StartsAt, in.EndsAt, in.MainVenue, now, actor).Scan(&id)
		if err != nil {
			return mapPgError(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO room.session_venues (session_id, venue_code, is_main)
			SELECT $1, v, v = $2 FROM unnest($3::text[]) v`, id, in.MainVenue, in.Venues()); err != nil {
			return mapPgError(err)
		}
		return s.record(ctx, tx, actor, "session.create", sessionObject(id), in)
	})
	if err != nil {
		return Session{}, fmt.Errorf("create session %s: %w", in.Ref, err)
	}
	return s.GetSession(ctx, id)
}

// Venues returns the input's main venue followed by its remote venues.
func (in SessionInput) Venues() []string { return append([]string{in.MainVenue}, in.RemoteVenues...) }

func sessionObject(id int64) string { return "session:" + strconv.FormatInt(id, 10) }

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const sessionColumns = `s.id, s.ref, coalesce(s.draw_id, 0), s.project_code, s.project_name, s.starts_at, s.ends_at,
	s.main_venue, coalesce((SELECT array_agg(v.venue_code ORDER BY v.venue_code) FROM room.session_venues v
		WHERE v.session_id = s.id AND NOT v.is_main), '{}'),
	s.phase, s.phase_changed_at, s.abort_reason, s.sealed_at, s.created_at`

func scanSession(row pgx.Row) (Session, error) {
	var x Session
	err := row.Scan(&x.ID, &x.Ref, &x.DrawID, &x.ProjectCode, &x.ProjectName, &x.StartsAt, &x.EndsAt, &x.MainVenue,
		&x.RemoteVenues, &x.Phase, &x.PhaseChangedAt, &x.AbortReason, &x.SealedAt, &x.CreatedAt)
	x.StartsAt, x.EndsAt, x.PhaseChangedAt, x.CreatedAt = x.StartsAt.UTC(), x.EndsAt.UTC(), x.PhaseChangedAt.UTC(), x.CreatedAt.UTC()
	if x.SealedAt != nil {
		t := x.SealedAt.UTC()
		x.SealedAt = &t
	}
	return x, err
}

// loadSession reads a session and its rooms through q; with lock it locks
// the session row (q must then be a transaction).
func loadSession(ctx context.Context, q querier, id int64, lock bool) (Session, error) {
	sql := `SELECT ` + sessionColumns + ` FROM room.sessions s WHERE s.id = $1`
	if lock {
		sql += ` FOR UPDATE OF s`
	}
	x, err := scanSession(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, fmt.Errorf("session %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session %d: %w", id, err)
	}
	if x.Rooms, err = sessionRooms(ctx, q, id); err != nil {
		return Session{}, err
	}
	return x, nil
}

// GetSession returns a session with its rooms. Errors: ErrNotFound.
func (s *Service) GetSession(ctx context.Context, id int64) (Session, error) {
	return loadSession(ctx, s.db, id, false)
}

// GetSessionByRef returns the session with reference ref. Errors:
// ErrNotFound.
func (s *Service) GetSessionByRef(ctx context.Context, ref string) (Session, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT id FROM room.sessions WHERE ref = $1`, ref).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, fmt.Errorf("session %q: %w", ref, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session %q: %w", ref, err)
	}
	return s.GetSession(ctx, id)
}

// SessionFilter selects sessions for ListSessions. Zero fields match
// everything.
type SessionFilter struct {
	// Venue lists only sessions this venue takes part in.
	Venue string
	// Phase lists only sessions in this phase.
	Phase Phase
	// Ref lists only the session with this reference.
	Ref string
}

// ListSessions returns the sessions matching f, latest start first, with
// their rooms. Errors: ErrInvalid (unknown phase).
func (s *Service) ListSessions(ctx context.Context, f SessionFilter) ([]Session, error) {
	if f.Phase != "" && !f.Phase.Valid() {
		return nil, fmt.Errorf("%w: 未知阶段 %q", ErrInvalid, f.Phase)
	}
	rows, err := s.db.Query(ctx, `SELECT `+sessionColumns+` FROM room.sessions s
		WHERE ($1 = '' OR EXISTS (SELECT 1 FROM room.session_venues v WHERE v.session_id = s.id AND v.venue_code = $1))
		  AND ($2 = '' OR s.phase = $2) AND ($3 = '' OR s.ref = $3)
		ORDER BY s.starts_at DESC, s.id DESC LIMIT 1000`, f.Venue, string(f.Phase), f.Ref)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Session, error) { return scanSession(r) })
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	for i := range list {
		if list[i].Rooms, err = sessionRooms(ctx, s.db, list[i].ID); err != nil {
			return nil, err
		}
	}
	return list, nil
}
