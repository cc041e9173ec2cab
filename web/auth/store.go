package auth

import (
	"errors"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store keeps users and sessions in PostgreSQL (schema "auth").
type Store struct {
	db          *pgxpool.Pool
	audit       *audit.Log
	now         func() time.Time
	hash        HashParams
	idle        time.Duration
	absolute    time.Duration
	maxFailures int
	ipFailures  int
	window      time.Duration
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store (and its default audit log) use now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithAudit makes the store append to l instead of a log of its own on the
// same pool.
func WithAudit(l *audit.Log) Option { return func(s *Store) { s.audit = l } }

// WithSessionTimeouts sets how long a session may stay unused (idle) and
// how long it may live at all (absolute); zero keeps the default of 8 hours
// for both.
func WithSessionTimeouts(idle, absolute time.Duration) Option {
	return func(s *Store) {
		if idle > 0 {
			s.idle = idle
		}
		if absolute > 0 {
			s.absolute = absolute
		}
	}
}

// WithHashParams sets the argon2id parameters for new password hashes.
func WithHashParams(p HashParams) Option { return func(s *Store) { s.hash = p } }

// WithLoginLimits sets how many failed logins within window are allowed per
// username (perUser) and per client address (perIP) before Login refuses
// with ErrRateLimited; zero keeps the defaults (5 and 50 in 15 minutes).
func WithLoginLimits(perUser, perIP int, window time.Duration) Option {
	return func(s *Store) {
		if perUser > 0 {
			s.maxFailures = perUser
		}
		if perIP > 0 {
			s.ipFailures = perIP
		}
		if window > 0 {
			s.window = window
		}
	}
}

// NewStore returns a Store on pool, where Migrations and the audit
// migrations are applied.
func NewStore(pool *pgxpool.Pool, opts ...Option) *Store {
	s := &Store{
		db: pool, now: time.Now, hash: DefaultHashParams,
		idle: 8 * time.Hour, absolute: 8 * time.Hour,
		maxFailures: 5, ipFailures: 50, window: 15 * time.Minute,
	}
	for _, o := range opts {
		o(s)
	}
	if s.audit == nil {
		s.audit = audit.New(pool, audit.WithClock(s.now))
	}
	return s
}

// SessionLifetime is the absolute lifetime of a session, for the cookie's
// Max-Age.
func (s *Store) SessionLifetime() time.Duration { return s.absolute }

// dbError converts driver errors to the package's sentinel errors.
func dbError(err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return ErrNotFound
	case errors.As(err, &pe) && pe.Code == "23505":
		return ErrConflict
	case errors.As(err, &pe) && pe.Code == "23514":
		return ErrInvalid
	}
	return err
}
