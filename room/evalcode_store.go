package room

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CodeGrant is what a redeemed evaluator code grants: the member's seat
// in a running session, until ExpiresAt at the latest.
type CodeGrant struct {
	SessionID  int64     `json:"session_id"`
	SessionRef string    `json:"session_ref"`
	MemberID   int64     `json:"member_id"`
	MemberName string    `json:"member_name"`
	SignInID   int64     `json:"signin_id"`
	RoomID     int64     `json:"room_id"`
	VenueCode  string    `json:"venue_code"`
	Seat       int       `json:"seat"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// CodeLogin opens the evaluator's login for a grant and returns the
// evaluator account's user id. It runs while the code is locked; when it
// fails the code stays unused.
type CodeLogin func(ctx context.Context, g CodeGrant) (userID int64, err error)

// issueCode revokes the member's live code of the session, if any, and
// stores a new one for sign-in si, inside tx; action names the audit
// entry (the code itself is never audited).
func (s *Service) issueCode(ctx context.Context, tx pgx.Tx, actor, action string, sess Session, si SignIn) (EvaluatorCode, error) {
	norm, err := newCode()
	if err != nil {
		return EvaluatorCode{}, err
	}
	now := s.nowUTC()
	code := EvaluatorCode{Code: FormatCode(norm), ExpiresAt: codeExpiry(sess, now)}
	tag, err := tx.Exec(ctx, `UPDATE room.evaluator_codes SET revoked_at = $3
		WHERE session_id = $1 AND member_id = $2 AND used_at IS NULL AND revoked_at IS NULL`, sess.ID, si.MemberID, now)
	if err != nil {
		return EvaluatorCode{}, fmt.Errorf("revoke code of member %d: %w", si.MemberID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO room.evaluator_codes (session_id, signin_id, member_id, code_hash, issued_by, issued_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, sess.ID, si.ID, si.MemberID, hashCode(norm), actor, now, code.ExpiresAt); err != nil {
		return EvaluatorCode{}, fmt.Errorf("store code of member %d: %w", si.MemberID, mapPgError(err))
	}
	err = s.record(ctx, tx, actor, action, sessionObject(sess.ID), map[string]any{"member_id": si.MemberID,
		"signin_id": si.ID, "room_id": si.RoomID, "seat": si.Seat, "expires_at": code.ExpiresAt, "revoked": tag.RowsAffected()})
	if err != nil {
		return EvaluatorCode{}, err
	}
	return code, nil
}

// ReissueEvaluatorCode gives a seated member a new one-time code and
// revokes the one they had (used or not, a login already open stays
// open). Staff of the member's venue or an actor bound to no venue may,
// while the session runs. Errors: ErrInvalid, ErrNotFound (session, or
// the member is not seated), ErrForbidden, ErrPhase.
func (s *Service) ReissueEvaluatorCode(ctx context.Context, actor Actor, sessionID, memberID int64) (EvaluatorCode, error) {
	if actor.ID == "" {
		return EvaluatorCode{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	if memberID <= 0 {
		return EvaluatorCode{}, fmt.Errorf("%w: 专家编号无效", ErrInvalid)
	}
	var code EvaluatorCode
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if err := checkVenueActor(actor, sess); err != nil {
			return err
		}
		if !sess.Phase.Running() {
			return fmt.Errorf("%w: 评标当前为“%s”，不能发放评标码", ErrPhase, sess.Phase.Label())
		}
		si, err := seatedMember(ctx, tx, sessionID, memberID)
		if err != nil {
			return err
		}
		if actor.Venue != "" && actor.Venue != si.VenueCode {
			return fmt.Errorf("%w: 只能为本场地签到的专家发放评标码", ErrForbidden)
		}
		code, err = s.issueCode(ctx, tx, actor.ID, "signin.code_reissue", sess, si)
		return err
	})
	if err != nil {
		return EvaluatorCode{}, fmt.Errorf("reissue code of member %d in session %d: %w", memberID, sessionID, err)
	}
	return code, nil
}

// seatedMember returns the member's active sign-in, or ErrNotFound.
func seatedMember(ctx context.Context, q querier, sessionID, memberID int64) (SignIn, error) {
	list, err := listSignIns(ctx, q, sessionID)
	if err != nil {
		return SignIn{}, err
	}
	for _, si := range list {
		if si.MemberID == memberID && si.ReleasedAt == nil {
			return si, nil
		}
	}
	return SignIn{}, fmt.Errorf("%w: 该专家尚未签到，不能发放评标码", ErrNotFound)
}

// RedeemEvaluatorCode uses a one-time code: when it is live, its session
// runs and its seat is still held, login opens the evaluator's login and
// the code is marked used by the returned account, all or nothing. The
// use is audited under the account. Errors: ErrCodeInvalid (malformed,
// unknown, used, revoked, expired, session not running, seat released),
// login's.
func (s *Service) RedeemEvaluatorCode(ctx context.Context, code string, login CodeLogin) (CodeGrant, error) {
	norm, ok := NormalizeCode(code)
	if !ok {
		return CodeGrant{}, fmt.Errorf("%w: malformed", ErrCodeInvalid)
	}
	var g CodeGrant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		var used, revoked, released *time.Time
		var phase Phase
		err := tx.QueryRow(ctx, `SELECT c.id, c.used_at, c.revoked_at, c.expires_at, s.id, s.ref, s.phase,
				si.id, si.member_id, si.member_name, si.room_id, si.venue_code, si.seat, si.released_at
			FROM room.evaluator_codes c JOIN room.sessions s ON s.id = c.session_id JOIN room.signins si ON si.id = c.signin_id
			WHERE c.code_hash = $1 FOR UPDATE OF c`, hashCode(norm)).
			Scan(&id, &used, &revoked, &g.ExpiresAt, &g.SessionID, &g.SessionRef, &phase,
				&g.SignInID, &g.MemberID, &g.MemberName, &g.RoomID, &g.VenueCode, &g.Seat, &released)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("%w: unknown", ErrCodeInvalid)
		case err != nil:
			return fmt.Errorf("evaluator code: %w", err)
		case used != nil:
			return fmt.Errorf("%w: code %d used", ErrCodeInvalid, id)
		case revoked != nil:
			return fmt.Errorf("%w: code %d revoked", ErrCodeInvalid, id)
		case !s.nowUTC().Before(g.ExpiresAt):
			return fmt.Errorf("%w: code %d expired", ErrCodeInvalid, id)
		case !phase.Running():
			return fmt.Errorf("%w: code %d: session %d is %s", ErrCodeInvalid, id, g.SessionID, phase)
		case released != nil:
			return fmt.Errorf("%w: code %d: seat released", ErrCodeInvalid, id)
		}
		g.ExpiresAt = g.ExpiresAt.UTC()
		userID, err := login(ctx, g)
		if err != nil {
			return err
		}
		if userID <= 0 {
			return fmt.Errorf("evaluator code %d: login returned no account", id)
		}
		now := s.nowUTC()
		if _, err := tx.Exec(ctx, `UPDATE room.evaluator_codes SET used_at = $2, user_id = $3 WHERE id = $1`, id, now, userID); err != nil {
			return fmt.Errorf("evaluator code %d: mark used: %w", id, err)
		}
		return s.record(ctx, tx, fmt.Sprintf("user:%d", userID), "signin.code_used", sessionObject(g.SessionID),
			map[string]any{"member_id": g.MemberID, "signin_id": g.SignInID, "room_id": g.RoomID, "seat": g.Seat})
	})
	if err != nil {
		return CodeGrant{}, fmt.Errorf("redeem evaluator code: %w", err)
	}
	return g, nil
}

// EvaluatorSeat returns the seat of the evaluator account userID in the
// session: the grant of the last code the account used there, with the
// seat as it stands. Errors: ErrNotFound (the account never used a code
// of the session), ErrForbidden (the seat was released by on-site
// recusal).
func (s *Service) EvaluatorSeat(ctx context.Context, sessionID, userID int64) (CodeGrant, error) {
	var g CodeGrant
	var released *time.Time
	err := s.db.QueryRow(ctx, `SELECT s.id, s.ref, si.id, si.member_id, si.member_name, si.room_id, si.venue_code, si.seat,
			si.released_at, c.expires_at
		FROM room.evaluator_codes c JOIN room.sessions s ON s.id = c.session_id JOIN room.signins si ON si.id = c.signin_id
		WHERE c.session_id = $1 AND c.user_id = $2 ORDER BY c.used_at DESC, c.id DESC LIMIT 1`, sessionID, userID).
		Scan(&g.SessionID, &g.SessionRef, &g.SignInID, &g.MemberID, &g.MemberName, &g.RoomID, &g.VenueCode, &g.Seat,
			&released, &g.ExpiresAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return CodeGrant{}, fmt.Errorf("session %d, user %d: %w: 未找到您的座位，请向现场工作人员索取评标码", sessionID, userID, ErrNotFound)
	case err != nil:
		return CodeGrant{}, fmt.Errorf("seat of user %d in session %d: %w", userID, sessionID, err)
	case released != nil:
		return CodeGrant{}, fmt.Errorf("session %d, user %d: %w: 您的座位已释放（现场回避），不能再评分", sessionID, userID, ErrForbidden)
	}
	g.ExpiresAt = g.ExpiresAt.UTC()
	return g, nil
}
