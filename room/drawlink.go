package room

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// LinkDraw makes the expert pool draw drawID staff the scheduled session
// sessionID, for a draw made after its session. Errors: ErrInvalid (a bad
// id), ErrNotFound, ErrConflict (the session has a draw already),
// ErrPhase (sign-in has opened).
func (s *Service) LinkDraw(ctx context.Context, actor string, sessionID, drawID int64) (Session, error) {
	if actor == "" || drawID <= 0 {
		return Session{}, fmt.Errorf("link draw: %w: 抽取编号无效", ErrInvalid)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var phase Phase
		var current *int64
		err := tx.QueryRow(ctx, `SELECT phase, draw_id FROM room.sessions WHERE id = $1 FOR UPDATE`, sessionID).Scan(&phase, &current)
		if err == pgx.ErrNoRows {
			return fmt.Errorf("%w: 评标会话不存在", ErrNotFound)
		}
		if err != nil {
			return mapPgError(err)
		}
		switch {
		case current != nil && *current == drawID:
			return nil
		case current != nil:
			return fmt.Errorf("%w: 该评标会话已关联抽取 %d", ErrConflict, *current)
		case phase != PhaseScheduled:
			return fmt.Errorf("%w: 评标已%s，不能再关联抽取", ErrPhase, phase.Label())
		}
		if _, err := tx.Exec(ctx, `UPDATE room.sessions SET draw_id = $2 WHERE id = $1`, sessionID, drawID); err != nil {
			return mapPgError(err)
		}
		return s.record(ctx, tx, actor, "session.link_draw", sessionObject(sessionID), map[string]int64{"session_id": sessionID, "draw_id": drawID})
	})
	if err != nil {
		return Session{}, fmt.Errorf("link draw %d to session %d: %w", drawID, sessionID, err)
	}
	return s.GetSession(ctx, sessionID)
}
