package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// Session is a logged-in browser's session. Token is given to the browser
// once and never stored.
type Session struct {
	Token     string
	User      User
	ExpiresAt time.Time
}

// tokenBytes is the length of a session token before encoding.
const tokenBytes = 32

// touchEvery limits how often Authenticate writes last_seen.
const touchEvery = time.Minute

func hashToken(token string) ([]byte, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != tokenBytes {
		return nil, false
	}
	h := sha256.Sum256(raw)
	return h[:], true
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// spendHashTime verifies against a dummy hash so an unknown username takes
// as long as a wrong password.
func (s *Store) spendHashTime(pw string) {
	dummyOnce.Do(func() { dummyHash = HashPassword("evalroom-dummy-password", s.hash) })
	_, _ = VerifyPassword(pw, dummyHash)
}

// Login checks username and password and opens a session. It returns
// ErrBadCredentials for an unknown user, a wrong password or a disabled
// account (the audit log records which), and ErrRateLimited after too many
// recent failures for the username or clientIP. Both outcomes are audited.
func (s *Store) Login(ctx context.Context, username, password, clientIP string) (Session, error) {
	username = strings.TrimSpace(username)
	now := s.now().UTC()
	var userFails, ipFails int
	if err := s.db.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE lower(username) = lower($1)),
			count(*) FILTER (WHERE client_ip = $2)
		FROM auth.login_failures WHERE at > $3 AND (lower(username) = lower($1) OR client_ip = $2)`,
		username, clientIP, now.Add(-s.window)).Scan(&userFails, &ipFails); err != nil {
		return Session{}, fmt.Errorf("login: count failures: %w", err)
	}
	if userFails >= s.maxFailures || ipFails >= s.ipFailures {
		if err := s.failLogin(ctx, username, clientIP, 0, "rate_limited", false); err != nil {
			return Session{}, err
		}
		return Session{}, ErrRateLimited
	}

	var u User
	var hash string
	var role string
	err := s.db.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM auth.users WHERE lower(username) = lower($1)`, username).
		Scan(&u.ID, &u.Username, &u.DisplayName, &role, &u.VenueCode, &u.SessionRef, &u.Disabled, &u.CreatedAt, &hash)
	u.Role, u.CreatedAt = Role(role), u.CreatedAt.UTC()
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		s.spendHashTime(password)
		if err := s.failLogin(ctx, username, clientIP, 0, "unknown_user", true); err != nil {
			return Session{}, err
		}
		return Session{}, ErrBadCredentials
	case err != nil:
		return Session{}, fmt.Errorf("login: %w", err)
	}
	ok, err := VerifyPassword(password, hash)
	if err != nil {
		return Session{}, fmt.Errorf("login user %d: %w", u.ID, err)
	}
	if !ok || u.Disabled {
		reason := "bad_password"
		if ok {
			reason = "disabled"
		}
		if err := s.failLogin(ctx, username, clientIP, u.ID, reason, true); err != nil {
			return Session{}, err
		}
		return Session{}, ErrBadCredentials
	}

	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, fmt.Errorf("login: token: %w", err)
	}
	sum := sha256.Sum256(raw)
	sess := Session{Token: base64.RawURLEncoding.EncodeToString(raw), User: u, ExpiresAt: now.Add(s.absolute)}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM auth.sessions WHERE expires_at < $1`, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM auth.login_failures WHERE lower(username) = lower($1) OR at < $2`,
			username, now.Add(-s.window)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auth.sessions (token_hash, user_id, created_at, last_seen, expires_at, client_ip)
			VALUES ($1, $2, $3, $3, $4, $5)`, sum[:], u.ID, now, sess.ExpiresAt, clientIP); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Record{Actor: u.Actor(), Action: "auth.login", Object: u.Actor(),
			Detail: map[string]any{"ip": clientIP}})
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("login user %d: %w", u.ID, err)
	}
	return sess, nil
}

// failLogin records a failed attempt (counted when count is set) and
// audits it.
func (s *Store) failLogin(ctx context.Context, username, clientIP string, userID int64, reason string, count bool) error {
	object := "username:" + username
	if userID != 0 {
		object = fmt.Sprintf("user:%d", userID)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if count {
			if _, err := tx.Exec(ctx, `INSERT INTO auth.login_failures (username, client_ip, at) VALUES ($1, $2, $3)`,
				username, clientIP, s.now().UTC()); err != nil {
				return err
			}
		}
		actor := "ip:" + clientIP
		if clientIP == "" {
			actor = "anonymous"
		}
		_, err := s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "auth.login_failed", Object: object,
			Detail: map[string]any{"username": username, "ip": clientIP, "reason": reason}})
		return err
	})
	if err != nil {
		return fmt.Errorf("login: record failure: %w", err)
	}
	return nil
}

// Authenticate returns the user of the session with token. It returns
// ErrUnauthenticated for a malformed, unknown, idle-expired or expired
// token, or a disabled user.
func (s *Store) Authenticate(ctx context.Context, token string) (User, error) {
	sum, ok := hashToken(token)
	if !ok {
		return User{}, ErrUnauthenticated
	}
	now := s.now().UTC()
	var u User
	var role string
	var lastSeen, expires time.Time
	err := s.db.QueryRow(ctx, `SELECT u.id, u.username, u.display_name, u.role, u.venue_code, u.session_ref,
			u.disabled, u.created_at, s.last_seen, s.expires_at
		FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id WHERE s.token_hash = $1`, sum).
		Scan(&u.ID, &u.Username, &u.DisplayName, &role, &u.VenueCode, &u.SessionRef, &u.Disabled, &u.CreatedAt, &lastSeen, &expires)
	u.Role, u.CreatedAt = Role(role), u.CreatedAt.UTC()
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return User{}, ErrUnauthenticated
	case err != nil:
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if u.Disabled || !now.Before(expires) || now.Sub(lastSeen) >= s.idle {
		if _, err := s.db.Exec(ctx, `DELETE FROM auth.sessions WHERE token_hash = $1`, sum); err != nil {
			return User{}, fmt.Errorf("authenticate: end session: %w", err)
		}
		return User{}, ErrUnauthenticated
	}
	if now.Sub(lastSeen) >= touchEvery {
		if _, err := s.db.Exec(ctx, `UPDATE auth.sessions SET last_seen = $2 WHERE token_hash = $1`, sum, now); err != nil {
			return User{}, fmt.Errorf("authenticate: touch session: %w", err)
		}
	}
	return u, nil
}

// Logout ends the session with token; an unknown token is not an error.
func (s *Store) Logout(ctx context.Context, token string) error {
	sum, ok := hashToken(token)
	if !ok {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var userID int64
		err := tx.QueryRow(ctx, `DELETE FROM auth.sessions WHERE token_hash = $1 RETURNING user_id`, sum).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		actor := fmt.Sprintf("user:%d", userID)
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "auth.logout", Object: actor})
		return err
	})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}
