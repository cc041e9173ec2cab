package expertpool

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Specialty is one code of the hierarchical specialty catalogue (seeded by
// migration 0002): a category such as A01 房屋建筑 (ParentCode empty) or a
// subcategory such as A0101 土建 (ParentCode A01).
type Specialty struct {
	Code       string `json:"code"`
	ParentCode string `json:"parent_code,omitempty"`
	Name       string `json:"name"`
	// Field is "technical" or "economic", for the committee share rule.
	Field string `json:"field"`
}

// ListSpecialties returns the whole catalogue ordered by code, so that
// every category comes right before its subcategories.
func (s *Service) ListSpecialties(ctx context.Context) ([]Specialty, error) {
	rows, err := s.db.Query(ctx, `SELECT code, COALESCE(parent_code, ''), name, field FROM expertpool.specialties ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list specialties: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Specialty])
	if err != nil {
		return nil, fmt.Errorf("list specialties: %w", err)
	}
	return list, nil
}

// SpecialtyExists reports whether code (a category or a subcategory) is
// in the catalogue.
func (s *Service) SpecialtyExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM expertpool.specialties WHERE code = $1)`,
		strings.ToUpper(strings.TrimSpace(code))).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("specialty %q: %w", code, err)
	}
	return ok, nil
}

// specialtySet returns every code of the catalogue.
func specialtySet(ctx context.Context, q poolQuerier) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT code FROM expertpool.specialties`)
	if err != nil {
		return nil, fmt.Errorf("load specialties: %w", err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("load specialties: %w", err)
	}
	set := make(map[string]bool, len(codes))
	for _, c := range codes {
		set[c] = true
	}
	return set, nil
}
