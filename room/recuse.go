package room

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Recusal is the outcome of an on-site recusal.
type Recusal struct {
	MemberID int64 `json:"member_id"`
	// ReleasedSignIn is the sign-in whose seat was released; 0 when the
	// member had not signed in.
	ReleasedSignIn int64       `json:"released_signin_id,omitempty"`
	Replacement    Replacement `json:"replacement"`
}

// RecuseOnSite records that a member of the actor's venue must withdraw
// for a conflict of interest found on site: their seat (if any) is
// released and the expert pool marks them recused and draws a
// replacement, who is then notified like any member. Allowed while the
// session runs (sign-in, evaluating, paused). Errors: ErrInvalid (no
// reason, not on the venue's committee), ErrNotFound, ErrForbidden,
// ErrPhase, ErrConflict (the pool no longer counts them a member).
func (s *Service) RecuseOnSite(ctx context.Context, actor Actor, sessionID, memberID int64, reason string) (Recusal, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case actor.ID == "":
		return Recusal{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	case reason == "":
		return Recusal{}, fmt.Errorf("%w: 回避原因不能为空", ErrInvalid)
	case utf8.RuneCountInString(reason) > 200:
		return Recusal{}, fmt.Errorf("%w: 回避原因不能超过200字", ErrInvalid)
	}
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		return Recusal{}, err
	}
	if err := checkVenueActor(actor, sess); err != nil {
		return Recusal{}, err
	}
	if !sess.Phase.Running() {
		return Recusal{}, fmt.Errorf("%w: 评标当前为“%s”，不能登记现场回避", ErrPhase, sess.Phase.Label())
	}
	members, err := s.committeeMembers(ctx, actor.ID, sess, actor.Venue)
	if err != nil {
		return Recusal{}, err
	}
	found := false
	for _, m := range members {
		if m.MemberID == memberID && m.State == "recused" {
			return Recusal{}, fmt.Errorf("%w: 该专家已登记回避", ErrConflict)
		}
		found = found || m.MemberID == memberID
	}
	if !found {
		return Recusal{}, fmt.Errorf("%w: 该专家不在本场地的评标委员会名单中", ErrInvalid)
	}
	res := Recusal{MemberID: memberID}
	// The seat is released in this transaction, which commits only after
	// the pool has recorded the recusal and drawn the replacement.
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		locked, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if !locked.Phase.Running() {
			return fmt.Errorf("%w: 评标当前为“%s”，不能登记现场回避", ErrPhase, locked.Phase.Label())
		}
		now := s.nowUTC()
		err = tx.QueryRow(ctx, `UPDATE room.signins SET released_at = $3, released_by = $4, release_reason = $5
			WHERE session_id = $1 AND member_id = $2 AND released_at IS NULL RETURNING id`,
			sessionID, memberID, now, actor.ID, "现场回避："+reason).Scan(&res.ReleasedSignIn)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return mapPgError(err)
		}
		if res.Replacement, err = s.committee.RecuseOnSite(ctx, actor.ID, memberID, reason); err != nil {
			return fmt.Errorf("recuse member %d in the pool: %w", memberID, err)
		}
		return s.record(ctx, tx, actor.ID, "signin.recuse", sessionObject(sessionID),
			map[string]any{"member_id": memberID, "released_signin_id": res.ReleasedSignIn, "reason": reason,
				"replacement_member_id": res.Replacement.MemberID})
	})
	if err != nil {
		return Recusal{}, fmt.Errorf("recuse member %d in session %d: %w", memberID, sessionID, err)
	}
	return res, nil
}
