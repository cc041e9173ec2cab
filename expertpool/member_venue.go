package expertpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// MemberVenue returns the code of the venue a drawn member is to sit in,
// so that staff can be limited to their own venue's members. It reveals
// nothing sealed: the venue belongs to the quota, not to the expert.
// Errors: ErrNotFound.
func (s *Service) MemberVenue(ctx context.Context, memberID int64) (string, error) {
	var venue string
	err := s.db.QueryRow(ctx, `SELECT q.venue_code FROM expertpool.members m
		JOIN expertpool.quotas q ON q.id = m.quota_id WHERE m.id = $1`, memberID).Scan(&venue)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", fmt.Errorf("member %d: %w", memberID, ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("member %d venue: %w", memberID, err)
	}
	return venue, nil
}
