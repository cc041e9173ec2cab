package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

func TestCreateUserValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cases := []struct {
		name    string
		in      auth.UserInput
		wantErr error
		msg     string
	}{
		{"admin", auth.UserInput{Username: "root", Password: "12345678", Role: "admin"}, nil, ""},
		{"staff with venue", auth.UserInput{Username: "zhang.san", Password: "12345678", Role: "staff", VenueCode: "HZ"}, nil, ""},
		{"unknown role", auth.UserInput{Username: "bob", Password: "12345678", Role: "root"}, auth.ErrInvalid, "未知角色"},
		{"empty role", auth.UserInput{Username: "bob", Password: "12345678"}, auth.ErrInvalid, "未知角色"},
		{"staff without venue", auth.UserInput{Username: "bob", Password: "12345678", Role: "staff"}, auth.ErrInvalid, "场地编码"},
		{"evaluator without session", auth.UserInput{Username: "bob", Password: "12345678", Role: "evaluator"}, auth.ErrInvalid, "评标会话"},
		{"short password", auth.UserInput{Username: "bob", Password: "1234567", Role: "admin"}, auth.ErrInvalid, "密码"},
		{"bad username", auth.UserInput{Username: "a b", Password: "12345678", Role: "admin"}, auth.ErrInvalid, "用户名"},
		{"taken username, other case", auth.UserInput{Username: "ROOT", Password: "12345678", Role: "admin"}, auth.ErrConflict, "已存在"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := e.store.CreateUser(ctx, "cli", tc.in)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Contains(t, err.Error(), tc.msg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, auth.Role(tc.in.Role), u.Role)
			got, err := e.store.GetUser(ctx, u.ID)
			require.NoError(t, err)
			require.Equal(t, u, got)
		})
	}
	entries, err := e.audit.List(ctx, audit.Filter{Action: "user.create"})
	require.NoError(t, err)
	require.Len(t, entries, 2)
	for _, en := range entries {
		require.Equal(t, "cli", en.Actor)
		require.NotContains(t, string(en.Detail), "12345678")
		require.False(t, strings.Contains(string(en.Detail), "argon2"))
	}
	users, err := e.store.ListUsers(ctx)
	require.NoError(t, err)
	require.Len(t, users, 2)
}

func TestUpdateUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustUser(t, "li", "supervisor")
	staff, venue, bad, yes := "staff", "NB", "king", true
	_, err := e.store.UpdateUser(ctx, "user:1", u.ID, auth.UserPatch{Role: &staff})
	require.ErrorIs(t, err, auth.ErrInvalid, "staff needs a venue")
	_, err = e.store.UpdateUser(ctx, "user:1", u.ID, auth.UserPatch{Role: &bad})
	require.ErrorIs(t, err, auth.ErrInvalid)
	got, err := e.store.UpdateUser(ctx, "user:1", u.ID, auth.UserPatch{Role: &staff, VenueCode: &venue})
	require.NoError(t, err)
	require.Equal(t, auth.RoleStaff, got.Role)
	require.Equal(t, "NB", got.VenueCode)
	_, err = e.store.UpdateUser(ctx, "user:1", 999, auth.UserPatch{Disabled: &yes})
	require.ErrorIs(t, err, auth.ErrNotFound)

	sess, err := e.store.Login(ctx, "li", "correct horse", "10.0.0.1")
	require.NoError(t, err)
	_, err = e.store.UpdateUser(ctx, "user:1", u.ID, auth.UserPatch{Disabled: &yes})
	require.NoError(t, err)
	_, err = e.store.Authenticate(ctx, sess.Token)
	require.ErrorIs(t, err, auth.ErrUnauthenticated, "disabling ends sessions")
	_, err = e.store.Login(ctx, "li", "correct horse", "10.0.0.1")
	require.ErrorIs(t, err, auth.ErrBadCredentials, "disabled user cannot log in")
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustUser(t, "wang", "archivist")
	sess, err := e.store.Login(ctx, "wang", "correct horse", "")
	require.NoError(t, err)
	require.ErrorIs(t, e.store.SetPassword(ctx, "user:1", u.ID, "short"), auth.ErrInvalid)
	require.NoError(t, e.store.SetPassword(ctx, "user:1", u.ID, "battery staple"))
	_, err = e.store.Authenticate(ctx, sess.Token)
	require.ErrorIs(t, err, auth.ErrUnauthenticated)
	_, err = e.store.Login(ctx, "wang", "correct horse", "")
	require.ErrorIs(t, err, auth.ErrBadCredentials)
	_, err = e.store.Login(ctx, "wang", "battery staple", "")
	require.NoError(t, err)
	require.ErrorIs(t, e.store.ChangeOwnPassword(ctx, u.ID, "wrong one", "new password"), auth.ErrBadCredentials)
	require.NoError(t, e.store.ChangeOwnPassword(ctx, u.ID, "battery staple", "new password"))
	require.ErrorIs(t, e.store.SetPassword(ctx, "user:1", 999, "new password"), auth.ErrNotFound)
}
