package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fastHash keeps tests quick; production uses DefaultHashParams.
var fastHash = auth.HashParams{Memory: 1024, Time: 1, Threads: 1}

var testStart = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)

type env struct {
	store *auth.Store
	audit *audit.Log
	clock *testenv.Clock
}

func newEnv(t *testing.T, opts ...auth.Option) *env {
	t.Helper()
	db := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), db, audit.Migrations, auth.Migrations)
	require.NoError(t, err)
	clock := testenv.NewClock(testStart)
	log := audit.New(db, audit.WithClock(clock.Now))
	opts = append([]auth.Option{auth.WithClock(clock.Now), auth.WithAudit(log), auth.WithHashParams(fastHash)}, opts...)
	return &env{store: auth.NewStore(db, opts...), audit: log, clock: clock}
}

func (e *env) mustUser(t *testing.T, name, role string) auth.User {
	t.Helper()
	in := auth.UserInput{Username: name, DisplayName: name, Password: "correct horse", Role: role}
	switch role {
	case "staff":
		in.VenueCode = "V1"
	case "evaluator":
		in.SessionRef = "S1"
	}
	u, err := e.store.CreateUser(context.Background(), "cli", in)
	require.NoError(t, err)
	return u
}
