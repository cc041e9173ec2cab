package room

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Service keeps evaluation sessions: every operation on sessions, rooms,
// sign-ins and faults goes through it.
type Service struct {
	db        *pgxpool.Pool
	audit     *audit.Log
	committee Committee
	presence  MediaPresence
	faults    FaultRules
	skew      time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// Params are what a Service needs.
type Params struct {
	// DB is a pool on a database where Migrations (and the audit
	// migrations) are applied. Required.
	DB *pgxpool.Pool
	// Audit receives every change. Required.
	Audit *audit.Log
	// Committee is the expert pool's view of a session's committee.
	// Required.
	Committee Committee
	// Presence tells which rooms have a live recorder; nil makes
	// RecordingStatus fail with ErrUnavailable.
	Presence MediaPresence
	// Faults are the fault clock rules; zero fields take the defaults of
	// DefaultFaultRules.
	Faults FaultRules
	// DeviceClockSkew is how far a device-token request's timestamp may
	// be from the server's clock; zero means 5 minutes.
	DeviceClockSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// New returns a Service.
func New(p Params) (*Service, error) {
	switch {
	case p.DB == nil:
		return nil, fmt.Errorf("%w: DB", ErrMissingParam)
	case p.Audit == nil:
		return nil, fmt.Errorf("%w: Audit", ErrMissingParam)
	case p.Committee == nil:
		return nil, fmt.Errorf("%w: Committee", ErrMissingParam)
	}
	s := &Service{db: p.DB, audit: p.Audit, committee: p.Committee, presence: p.Presence,
		faults: p.Faults.withDefaults(), skew: p.DeviceClockSkew, now: p.Now, log: p.Logger}
	if s.faults.BeforeStartWait < 0 || s.faults.DuringEvalRestore < 0 || s.skew < 0 {
		return nil, fmt.Errorf("%w: fault rules and clock skew must not be negative", ErrInvalid)
	}
	if s.skew == 0 {
		s.skew = 5 * time.Minute
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "room")
	return s, nil
}

// FaultRules returns the fault clock rules the service applies.
func (s *Service) FaultRules() FaultRules { return s.faults }

// nowUTC returns the clock's time in UTC, to the microsecond PostgreSQL
// keeps.
func (s *Service) nowUTC() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction and commits when it returns nil.
func (s *Service) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", mapPgError(err))
	}
	return nil
}

// record appends an audit record inside tx.
func (s *Service) record(ctx context.Context, tx pgx.Tx, actor, action, object string, detail any) error {
	if _, err := s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: action, Object: object, Detail: detail}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// constraintMessages are the Chinese messages of the unique and foreign
// key constraints a user can run into.
var constraintMessages = map[string]string{
	"sessions_ref_key":          "评标会话编号已存在",
	"rooms_venue_code_name_key": "该场地已有同名评标室",
	"rooms_recorder_id_key":     "该录像设备编号已登记到其他评标室",
	"rooms_recorder_key_key":    "该设备公钥已登记到其他评标室",
	"session_rooms_pkey":        "该评标室已在本场评标中",
	"session_rooms_one_running": "评标室正被另一场进行中的评标使用",
	"signins_seat_taken":        "该座位已有专家签到",
	"signins_member_seated":     "该专家已签到",
	"faults_one_open":           "已有尚未恢复的音视频故障",
}

// constraintFields name the input field a constraint's conflict is
// about (errtext.Field), so that a form shows it beside the field.
var constraintFields = map[string]string{
	"sessions_ref_key":          "ref",
	"rooms_recorder_id_key":     "recorder_id",
	"rooms_recorder_key_key":    "public_key",
	"session_rooms_pkey":        "name",
	"rooms_venue_code_name_key": "name",
}

// mapPgError turns a unique or foreign-key violation into ErrConflict
// with a Chinese message, and a check violation into ErrInvalid; other
// errors pass through.
func mapPgError(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505", "23503":
		if msg, ok := constraintMessages[pe.ConstraintName]; ok {
			err := fmt.Errorf("%w: %s", ErrConflict, msg)
			if f := constraintFields[pe.ConstraintName]; f != "" {
				return errtext.Field(err, f)
			}
			return err
		}
		return fmt.Errorf("%w: 与已有数据冲突（%s）", ErrConflict, pe.ConstraintName)
	case "23514", "23502":
		return fmt.Errorf("%w: 数据不符合约束（%s）", ErrInvalid, pe.ConstraintName)
	}
	return err
}
