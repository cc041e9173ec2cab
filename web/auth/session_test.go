package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

func TestLoginAuthenticateLogout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustUser(t, "admin", "admin")

	_, err := e.store.Login(ctx, "admin", "wrong password", "10.0.0.9")
	require.ErrorIs(t, err, auth.ErrBadCredentials)
	_, err = e.store.Login(ctx, "nobody", "correct horse", "10.0.0.9")
	require.ErrorIs(t, err, auth.ErrBadCredentials)

	sess, err := e.store.Login(ctx, "Admin", "correct horse", "10.0.0.9")
	require.NoError(t, err)
	require.Len(t, sess.Token, 43)
	got, err := e.store.Authenticate(ctx, sess.Token)
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)

	for _, bad := range []string{"", "not-a-token", sess.Token[:42] + "A"} {
		_, err = e.store.Authenticate(ctx, bad)
		require.ErrorIs(t, err, auth.ErrUnauthenticated, bad)
	}

	require.NoError(t, e.store.Logout(ctx, sess.Token))
	_, err = e.store.Authenticate(ctx, sess.Token)
	require.ErrorIs(t, err, auth.ErrUnauthenticated)
	require.NoError(t, e.store.Logout(ctx, sess.Token), "logout twice is fine")

	failed, err := e.audit.List(ctx, audit.Filter{Action: "auth.login_failed"})
	require.NoError(t, err)
	require.Len(t, failed, 2)
	for _, f := range failed {
		require.NotContains(t, string(f.Detail), "wrong password")
		require.NotContains(t, string(f.Detail), "correct horse")
	}
	ok, err := e.audit.List(ctx, audit.Filter{Action: "auth.login", Actor: u.Actor()})
	require.NoError(t, err)
	require.Len(t, ok, 1)
	out, err := e.audit.List(ctx, audit.Filter{Action: "auth.logout"})
	require.NoError(t, err)
	require.Len(t, out, 1)
}

func TestSessionTimeouts(t *testing.T) {
	e := newEnv(t, auth.WithSessionTimeouts(30*time.Minute, 2*time.Hour))
	ctx := context.Background()
	e.mustUser(t, "sup", "supervisor")
	cases := []struct {
		name  string
		steps []time.Duration // advance, then authenticate; the last must fail
	}{
		{"idle too long", []time.Duration{29 * time.Minute, 29 * time.Minute, 31 * time.Minute}},
		{"absolute lifetime", []time.Duration{25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess, err := e.store.Login(ctx, "sup", "correct horse", "")
			require.NoError(t, err)
			for i, d := range tc.steps {
				e.clock.Advance(d)
				_, err := e.store.Authenticate(ctx, sess.Token)
				if i == len(tc.steps)-1 {
					require.ErrorIs(t, err, auth.ErrUnauthenticated)
				} else {
					require.NoError(t, err, "step %d", i)
				}
			}
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, auth.WithLoginLimits(3, 5, 10*time.Minute))
	ctx := context.Background()
	e.mustUser(t, "zhao", "staff")
	e.mustUser(t, "qian", "staff")
	for i := 0; i < 3; i++ {
		_, err := e.store.Login(ctx, "zhao", "guess", "10.0.0.1")
		require.ErrorIs(t, err, auth.ErrBadCredentials)
	}
	_, err := e.store.Login(ctx, "zhao", "correct horse", "10.0.0.2")
	require.ErrorIs(t, err, auth.ErrRateLimited, "per username, whatever the address")
	_, err = e.store.Login(ctx, "qian", "correct horse", "10.0.0.2")
	require.NoError(t, err, "other users are not locked out")
	for i := 0; i < 2; i++ {
		_, err := e.store.Login(ctx, "qian", "guess", "10.0.0.1")
		require.ErrorIs(t, err, auth.ErrBadCredentials)
	}
	_, err = e.store.Login(ctx, "qian", "correct horse", "10.0.0.1")
	require.ErrorIs(t, err, auth.ErrRateLimited, "per address")
	e.clock.Advance(11 * time.Minute)
	_, err = e.store.Login(ctx, "zhao", "correct horse", "10.0.0.1")
	require.NoError(t, err, "the window passed")
}
