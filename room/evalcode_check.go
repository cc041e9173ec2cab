package room

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CheckEvaluatorCode reports whether code is the live one-time code of
// the member seated in the session (unused, not revoked, not expired, the
// session running, the seat held), for staff who show it again (as a QR
// code, say): staff of the member's venue or an actor bound to no venue.
// It changes nothing and returns the code's expiry. Errors: ErrInvalid
// (no actor), ErrNotFound, ErrForbidden, ErrCodeInvalid.
func (s *Service) CheckEvaluatorCode(ctx context.Context, actor Actor, sessionID, memberID int64, code string) (time.Time, error) {
	if actor.ID == "" {
		return time.Time{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		return time.Time{}, err
	}
	if err := checkVenueActor(actor, sess); err != nil {
		return time.Time{}, err
	}
	norm, ok := NormalizeCode(code)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: malformed", ErrCodeInvalid)
	}
	var venue string
	var expires time.Time
	var released *time.Time
	err = s.db.QueryRow(ctx, `SELECT si.venue_code, si.released_at, c.expires_at
		FROM room.evaluator_codes c JOIN room.signins si ON si.id = c.signin_id
		WHERE c.code_hash = $1 AND c.session_id = $2 AND c.member_id = $3 AND c.used_at IS NULL AND c.revoked_at IS NULL`,
		hashCode(norm), sessionID, memberID).Scan(&venue, &released, &expires)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return time.Time{}, fmt.Errorf("%w: not the member's live code", ErrCodeInvalid)
	case err != nil:
		return time.Time{}, fmt.Errorf("check code of member %d: %w", memberID, err)
	case actor.Venue != "" && actor.Venue != venue:
		return time.Time{}, fmt.Errorf("%w: 只能查看本场地签到专家的评标码", ErrForbidden)
	case released != nil || !sess.Phase.Running() || !s.nowUTC().Before(expires):
		return time.Time{}, fmt.Errorf("%w: no longer valid", ErrCodeInvalid)
	}
	return expires.UTC(), nil
}
