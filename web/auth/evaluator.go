package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// Evaluators keep no passwords: staff hand them a one-time code at sign-in
// and the code opens a login. These functions are that login's half in
// auth; the code itself belongs to the room feature.

// codeAttempts is the username under which failed code logins are
// counted: per client address only (a code names no account).
const codeAttempts = "#evaluator-code"

// EvaluatorLogin opens an evaluator's login after a code was accepted.
type EvaluatorLogin struct {
	// Username names the evaluator account, one per session and member
	// (for example "ev.12.105"); it is created on first use.
	Username string
	// DisplayName is the expert's name.
	DisplayName string
	// SessionRef binds the account to its evaluation session.
	SessionRef string
	// NotAfter ends the login at the latest (the session's end).
	NotAfter time.Time
	// ClientIP is the browser's address, for the audit log.
	ClientIP string
}

// CheckCodeAttempts returns ErrRateLimited (and audits the refusal) when
// too many code logins from clientIP failed recently: the same window and
// per-address limit as password logins.
func (s *Store) CheckCodeAttempts(ctx context.Context, clientIP string) error {
	now := s.now().UTC()
	var fails int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM auth.login_failures WHERE client_ip = $1 AND at > $2`,
		clientIP, now.Add(-s.window)).Scan(&fails); err != nil {
		return fmt.Errorf("code login: count failures: %w", err)
	}
	if fails >= s.ipFailures {
		if err := s.failLogin(ctx, codeAttempts, clientIP, 0, "rate_limited", false); err != nil {
			return err
		}
		return ErrRateLimited
	}
	return nil
}

// CodeLoginFailed counts and audits a refused code from clientIP; reason
// is for the audit log (never the code).
func (s *Store) CodeLoginFailed(ctx context.Context, clientIP, reason string) error {
	return s.failLogin(ctx, codeAttempts, clientIP, 0, reason, true)
}

// LoginEvaluator opens a session for the evaluator account in.Username,
// creating it (role evaluator, no usable password) on first use and
// keeping its display name current. The session ends at in.NotAfter at
// the latest. It returns ErrInvalid for a bad field, ErrConflict when the
// username belongs to an account that is not this session's evaluator,
// and ErrBadCredentials for a disabled account or a NotAfter already
// past. The login is audited.
func (s *Store) LoginEvaluator(ctx context.Context, in EvaluatorLogin) (Session, error) {
	now := s.now().UTC()
	if !in.NotAfter.After(now) {
		return Session{}, fmt.Errorf("evaluator login %s: ends %s: %w", in.Username, in.NotAfter, ErrBadCredentials)
	}
	want := User{Username: in.Username, DisplayName: strings.TrimSpace(in.DisplayName), Role: RoleEvaluator, SessionRef: in.SessionRef}
	if err := want.validate(); err != nil {
		return Session{}, err
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, fmt.Errorf("evaluator login: token: %w", err)
	}
	sum := sha256.Sum256(raw)
	sess := Session{Token: base64.RawURLEncoding.EncodeToString(raw), ExpiresAt: now.Add(s.absolute)}
	if in.NotAfter.Before(sess.ExpiresAt) {
		sess.ExpiresAt = in.NotAfter.UTC()
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		u, err := s.evaluatorAccount(ctx, tx, want, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auth.sessions (token_hash, user_id, created_at, last_seen, expires_at, client_ip)
			VALUES ($1, $2, $3, $3, $4, $5)`, sum[:], u.ID, now, sess.ExpiresAt, in.ClientIP); err != nil {
			return err
		}
		sess.User = u
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: u.Actor(), Action: "auth.login", Object: u.Actor(),
			Detail: map[string]any{"ip": in.ClientIP, "via": "evaluator_code", "session_ref": u.SessionRef, "expires_at": sess.ExpiresAt}})
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("evaluator login %s: %w", in.Username, err)
	}
	return sess, nil
}

// evaluatorAccount returns the account want.Username, created or brought
// up to date inside tx.
func (s *Store) evaluatorAccount(ctx context.Context, tx pgx.Tx, want User, now time.Time) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM auth.users WHERE lower(username) = lower($1) FOR UPDATE`, want.Username))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return s.createEvaluator(ctx, tx, want, now)
	case err != nil:
		return User{}, dbError(err)
	case u.Role != RoleEvaluator || u.SessionRef != want.SessionRef:
		return User{}, fmt.Errorf("%w: 用户名 %s 已被其他账号使用", ErrConflict, want.Username)
	case u.Disabled:
		return User{}, fmt.Errorf("account %d disabled: %w", u.ID, ErrBadCredentials)
	case u.DisplayName != want.DisplayName:
		before := u
		u.DisplayName = want.DisplayName
		if _, err := tx.Exec(ctx, `UPDATE auth.users SET display_name = $2, updated_at = $3 WHERE id = $1`, u.ID, u.DisplayName, now); err != nil {
			return User{}, dbError(err)
		}
		if _, err := s.audit.Append(ctx, tx, audit.Record{Actor: u.Actor(), Action: "user.update", Object: u.Actor(),
			Detail: map[string]any{"before": userDetail(before), "after": userDetail(u), "via": "evaluator_code"}}); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// createEvaluator adds an evaluator account whose password nobody knows.
func (s *Store) createEvaluator(ctx context.Context, tx pgx.Tx, want User, now time.Time) (User, error) {
	pw := make([]byte, 24)
	if _, err := rand.Read(pw); err != nil {
		return User{}, fmt.Errorf("evaluator account: %w", err)
	}
	hash := HashPassword(base64.RawURLEncoding.EncodeToString(pw), s.hash)
	u, err := scanUser(tx.QueryRow(ctx, `INSERT INTO auth.users
		(username, display_name, password_hash, role, venue_code, session_ref, created_at, updated_at)
		VALUES ($1, $2, $3, $4, '', $5, $6, $6) RETURNING `+userColumns,
		want.Username, want.DisplayName, hash, string(RoleEvaluator), want.SessionRef, now))
	if err != nil {
		return User{}, dbError(err)
	}
	if _, err := s.audit.Append(ctx, tx, audit.Record{Actor: "evaluator_code", Action: "user.create", Object: u.Actor(),
		Detail: userDetail(u)}); err != nil {
		return User{}, err
	}
	return u, nil
}
