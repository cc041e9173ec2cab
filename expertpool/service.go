package expertpool

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Service is the expert pool: every operation on experts, projects, draws
// and answers goes through it.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	keys  *seal.Keys
	// rules are the configured rules; an administrator's setting
	// (settings.go) takes their place for new draws.
	rules Rules
	now   func() time.Time
	log   *slog.Logger
	// drawCache is the draw engine's memory (draw_cache.go).
	drawCache *drawCache
}

// Params are what a Service needs.
type Params struct {
	// DB is a pool on a database where Migrations are applied. Required.
	DB *pgxpool.Pool
	// Audit receives every change. Required.
	Audit *audit.Log
	// Keys seal identity numbers and committees and sign links. Required.
	Keys *seal.Keys
	// Rules are the trading centre's recusal and committee rules; zero
	// means DefaultRules().
	Rules *Rules
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// ErrMissingParam is returned by New when a required parameter is nil.
var ErrMissingParam = errors.New("expertpool: missing required parameter")

// New returns a Service.
func New(p Params) (*Service, error) {
	switch {
	case p.DB == nil:
		return nil, fmt.Errorf("%w: DB", ErrMissingParam)
	case p.Audit == nil:
		return nil, fmt.Errorf("%w: Audit", ErrMissingParam)
	case p.Keys == nil:
		return nil, fmt.Errorf("%w: Keys", ErrMissingParam)
	}
	s := &Service{db: p.DB, audit: p.Audit, keys: p.Keys, rules: DefaultRules(), now: p.Now, log: p.Logger,
		drawCache: newDrawCache()}
	if p.Rules != nil {
		if err := p.Rules.Validate(); err != nil {
			return nil, err
		}
		s.rules = *p.Rules
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "expertpool")
	return s, nil
}

// Rules returns the configured rules; RecusalSettings tells which rules
// new draws apply.
func (s *Service) Rules() Rules { return s.rules }
