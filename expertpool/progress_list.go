package expertpool

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DrawSummary is one draw in a list: what it is for and how it stands,
// never a name.
type DrawSummary struct {
	DrawID        int64     `json:"draw_id"`
	ProjectID     int64     `json:"project_id"`
	ProjectCode   string    `json:"project_code"`
	ProjectName   string    `json:"project_name"`
	SessionRef    string    `json:"session_ref"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	SigninOpensAt time.Time `json:"signin_opens_at"`
	// State is filled, short, failed, aborted or finished.
	State     string    `json:"state"`
	Sealed    bool      `json:"sealed"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxDrawList is the most draws ListDraws returns.
const MaxDrawList = 200

// ListDraws lists the most recent draws, newest first (at most
// MaxDrawList); failed and aborted attempts only when withFailed is set.
func (s *Service) ListDraws(ctx context.Context, withFailed bool) ([]DrawSummary, error) {
	rows, err := s.db.Query(ctx, `SELECT d.id, d.project_id, p.code, p.name, d.session_ref, d.starts_at, d.ends_at,
			d.signin_opens_at, d.state, d.created_by, d.created_at
		FROM expertpool.draws d JOIN expertpool.projects p ON p.id = d.project_id
		WHERE $1 OR d.state NOT IN ('failed', 'aborted')
		ORDER BY d.id DESC LIMIT $2`, withFailed, MaxDrawList)
	if err != nil {
		return nil, fmt.Errorf("list draws: %w", err)
	}
	now := s.now()
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DrawSummary, error) {
		var d DrawSummary
		err := r.Scan(&d.DrawID, &d.ProjectID, &d.ProjectCode, &d.ProjectName, &d.SessionRef, &d.StartsAt, &d.EndsAt,
			&d.SigninOpensAt, &d.State, &d.CreatedBy, &d.CreatedAt)
		d.StartsAt, d.EndsAt, d.SigninOpensAt, d.CreatedAt = d.StartsAt.UTC(), d.EndsAt.UTC(), d.SigninOpensAt.UTC(), d.CreatedAt.UTC()
		d.Sealed = now.Before(d.SigninOpensAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list draws: %w", err)
	}
	return list, nil
}
