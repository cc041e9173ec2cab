package auth

import (
	"context"
	"fmt"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
)

const userColumns = `id, username, display_name, role, venue_code, session_ref, disabled, created_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	var role string
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &role, &u.VenueCode, &u.SessionRef, &u.Disabled, &u.CreatedAt)
	u.Role = Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, err
}

// userDetail is what the audit log records about a user: never the
// password.
func userDetail(u User) map[string]any {
	return map[string]any{
		"username": u.Username, "display_name": u.DisplayName, "role": u.Role,
		"venue_code": u.VenueCode, "session_ref": u.SessionRef, "disabled": u.Disabled,
	}
}

// CreateUser adds a user on behalf of actor (for example "user:1", or
// "cli" for evalroomctl). It returns ErrInvalid for a bad field or unknown
// role and ErrConflict for a taken username.
func (s *Store) CreateUser(ctx context.Context, actor string, in UserInput) (User, error) {
	u := User{Username: in.Username, DisplayName: in.DisplayName, Role: Role(in.Role), VenueCode: in.VenueCode, SessionRef: in.SessionRef}
	if err := u.validate(); err != nil {
		return User{}, err
	}
	if err := checkPassword(in.Password); err != nil {
		return User{}, err
	}
	hash := HashPassword(in.Password, s.hash)
	now := s.now().UTC()
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		created, err := scanUser(tx.QueryRow(ctx, `INSERT INTO auth.users
			(username, display_name, password_hash, role, venue_code, session_ref, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING `+userColumns,
			u.Username, u.DisplayName, hash, string(u.Role), u.VenueCode, u.SessionRef, now))
		if err != nil {
			if e := dbError(err); e == ErrConflict {
				return errtext.Field(fmt.Errorf("%w: 用户名 %s 已存在", ErrConflict, u.Username), "username")
			}
			return dbError(err)
		}
		u = created
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "user.create", Object: u.Actor(), Detail: userDetail(u)})
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", in.Username, err)
	}
	return u, nil
}

// GetUser returns the user with id, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM auth.users WHERE id = $1`, id))
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, dbError(err))
	}
	return u, nil
}

// ListUsers returns every user ordered by id.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM auth.users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// UpdateUser applies p to the user with id on behalf of actor. Disabling a
// user or changing its role ends its sessions. It returns ErrNotFound or
// ErrInvalid (unknown role, staff without venue).
func (s *Store) UpdateUser(ctx context.Context, actor string, id int64, p UserPatch) (User, error) {
	var u User
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		before, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM auth.users WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return dbError(err)
		}
		u = before
		if p.DisplayName != nil {
			u.DisplayName = *p.DisplayName
		}
		if p.Role != nil {
			u.Role = Role(*p.Role)
		}
		if p.VenueCode != nil {
			u.VenueCode = *p.VenueCode
		}
		if p.SessionRef != nil {
			u.SessionRef = *p.SessionRef
		}
		if p.Disabled != nil {
			u.Disabled = *p.Disabled
		}
		if err := u.validate(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE auth.users SET display_name = $2, role = $3, venue_code = $4,
			session_ref = $5, disabled = $6, updated_at = $7 WHERE id = $1`,
			id, u.DisplayName, string(u.Role), u.VenueCode, u.SessionRef, u.Disabled, s.now().UTC()); err != nil {
			return dbError(err)
		}
		if u.Disabled || u.Role != before.Role {
			if _, err := tx.Exec(ctx, `DELETE FROM auth.sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "user.update", Object: u.Actor(),
			Detail: map[string]any{"before": userDetail(before), "after": userDetail(u)}})
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("update user %d: %w", id, err)
	}
	return u, nil
}

// SetPassword replaces the password of the user with id on behalf of actor
// and ends the user's sessions. It returns ErrNotFound or ErrInvalid (too
// short).
func (s *Store) SetPassword(ctx context.Context, actor string, id int64, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash := HashPassword(password, s.hash)
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE auth.users SET password_hash = $2, updated_at = $3 WHERE id = $1`, id, hash, s.now().UTC())
		if err != nil {
			return dbError(err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM auth.sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "user.password", Object: fmt.Sprintf("user:%d", id)})
		return err
	})
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	return nil
}

// ChangeOwnPassword replaces the password of the user with id after
// checking the current one; it returns ErrBadCredentials for a wrong
// current password.
func (s *Store) ChangeOwnPassword(ctx context.Context, id int64, current, next string) error {
	var hash string
	if err := s.db.QueryRow(ctx, `SELECT password_hash FROM auth.users WHERE id = $1`, id).Scan(&hash); err != nil {
		return fmt.Errorf("user %d: %w", id, dbError(err))
	}
	ok, err := VerifyPassword(current, hash)
	if err != nil {
		return fmt.Errorf("user %d: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("user %d: %w", id, ErrBadCredentials)
	}
	return s.SetPassword(ctx, fmt.Sprintf("user:%d", id), id, next)
}
