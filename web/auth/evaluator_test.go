package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

func TestLoginEvaluator(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := auth.EvaluatorLogin{Username: "ev.3.105", DisplayName: "王建国", SessionRef: "S1",
		NotAfter: testStart.Add(3 * time.Hour), ClientIP: "10.0.0.5"}

	first, err := e.store.LoginEvaluator(ctx, in)
	require.NoError(t, err)
	require.Equal(t, auth.RoleEvaluator, first.User.Role)
	require.Equal(t, "S1", first.User.SessionRef)
	require.Equal(t, "王建国", first.User.DisplayName)
	require.Equal(t, in.NotAfter, first.ExpiresAt, "the login ends with the session, before the 8 h limit")
	u, err := e.store.Authenticate(ctx, first.Token)
	require.NoError(t, err)
	require.Equal(t, first.User.ID, u.ID)

	// A second code for the same member (a new device) reaches the same
	// account; a renamed member is renamed.
	in.DisplayName = "王建國"
	in.NotAfter = testStart.Add(20 * time.Hour)
	second, err := e.store.LoginEvaluator(ctx, in)
	require.NoError(t, err)
	require.Equal(t, first.User.ID, second.User.ID)
	require.Equal(t, "王建國", second.User.DisplayName)
	require.Equal(t, testStart.Add(8*time.Hour), second.ExpiresAt, "never longer than a password login")

	// The account has no password anyone knows.
	_, err = e.store.Login(ctx, "ev.3.105", "", "10.0.0.5")
	require.ErrorIs(t, err, auth.ErrBadCredentials)

	// The login ends at NotAfter.
	e.clock.Set(testStart.Add(3 * time.Hour))
	_, err = e.store.Authenticate(ctx, first.Token)
	require.ErrorIs(t, err, auth.ErrUnauthenticated)

	logins, err := e.audit.List(ctx, audit.Filter{Action: "auth.login", Actor: first.User.Actor()})
	require.NoError(t, err)
	require.Len(t, logins, 2)
	require.Contains(t, string(logins[0].Detail), "evaluator_code")
}

func TestLoginEvaluatorRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustUser(t, "ev.1.1", "admin")
	other := e.mustUser(t, "ev.1.2", "evaluator")
	disabled := true
	_, err := e.store.UpdateUser(ctx, "cli", other.ID, auth.UserPatch{Disabled: &disabled})
	require.NoError(t, err)
	base := auth.EvaluatorLogin{DisplayName: "李明", SessionRef: "S1", NotAfter: testStart.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		edit func(*auth.EvaluatorLogin)
		want error
	}{
		{"an admin's username", func(in *auth.EvaluatorLogin) { in.Username = "ev.1.1" }, auth.ErrConflict},
		{"another session's evaluator", func(in *auth.EvaluatorLogin) { in.Username = "ev.1.2"; in.SessionRef = "S2" }, auth.ErrConflict},
		{"disabled account", func(in *auth.EvaluatorLogin) { in.Username = "ev.1.2" }, auth.ErrBadCredentials},
		{"session over", func(in *auth.EvaluatorLogin) { in.Username = "ev.1.3"; in.NotAfter = testStart }, auth.ErrBadCredentials},
		{"bad username", func(in *auth.EvaluatorLogin) { in.Username = "ev 1 3" }, auth.ErrInvalid},
		{"no session", func(in *auth.EvaluatorLogin) { in.Username = "ev.1.3"; in.SessionRef = "" }, auth.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.edit(&in)
			_, err := e.store.LoginEvaluator(ctx, in)
			require.ErrorIs(t, err, tc.want)
			users, err := e.store.ListUsers(ctx)
			require.NoError(t, err)
			require.Len(t, users, 2, "no account created")
		})
	}
}

func TestCodeAttemptsRateLimited(t *testing.T) {
	e := newEnv(t, auth.WithLoginLimits(5, 3, 15*time.Minute))
	ctx := context.Background()
	for range 3 {
		require.NoError(t, e.store.CheckCodeAttempts(ctx, "10.0.0.7"))
		require.NoError(t, e.store.CodeLoginFailed(ctx, "10.0.0.7", "code_invalid"))
	}
	require.ErrorIs(t, e.store.CheckCodeAttempts(ctx, "10.0.0.7"), auth.ErrRateLimited)
	require.NoError(t, e.store.CheckCodeAttempts(ctx, "10.0.0.8"), "per address")
	e.clock.Advance(16 * time.Minute)
	require.NoError(t, e.store.CheckCodeAttempts(ctx, "10.0.0.7"), "the window passes")

	failed, err := e.audit.List(ctx, audit.Filter{Action: "auth.login_failed"})
	require.NoError(t, err)
	require.Len(t, failed, 4, "three refusals and the rate limit")
}
