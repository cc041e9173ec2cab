package expertpool

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Outbox message kinds.
const (
	// KindInvite asks a drawn expert to accept or decline.
	KindInvite = "invite"
	// KindRepeat sends the invitation again (the expert pressed 3).
	KindRepeat = "repeat"
	// KindConfirmed acknowledges an acceptance.
	KindConfirmed = "confirmed"
	// KindReleased tells an expert the invitation has lapsed.
	KindReleased = "released"
	// KindCancelled tells a confirmed expert the session is off.
	KindCancelled = "cancelled"
)

// enqueue writes one outbox row for member inside tx, so the message
// exists if and only if the change that caused it commits.
func (s *Service) enqueue(ctx context.Context, tx pgx.Tx, memberID int64, kind string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO expertpool.outbox (member_id, kind, created_at) VALUES ($1, $2, $3)`,
		memberID, kind, s.now().UTC()); err != nil {
		return fmt.Errorf("enqueue %s for member %d: %w", kind, memberID, err)
	}
	return nil
}
