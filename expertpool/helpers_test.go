package expertpool_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// env is one test's expert pool on its own database.
type env struct {
	svc   *expertpool.Service
	db    *pgxpool.Pool
	audit *audit.Log
	keys  *seal.Keys
	clock *testenv.Clock
}

// testStart is where every test clock starts: a Sunday morning, UTC.
var testStart = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)

// newEnv migrates a fresh database and builds a Service on it with a fake
// clock. Pass nil rules for the defaults.
func newEnv(t testing.TB, rules *expertpool.Rules) *env {
	t.Helper()
	db := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), db, audit.Migrations, expertpool.Migrations)
	require.NoError(t, err)
	keys, err := seal.ParseKey(seal.GenerateKey())
	require.NoError(t, err)
	clock := testenv.NewClock(testStart)
	log := audit.New(db, audit.WithClock(clock.Now))
	svc, err := expertpool.New(expertpool.Params{DB: db, Audit: log, Keys: keys, Rules: rules, Now: clock.Now})
	require.NoError(t, err)
	return &env{svc: svc, db: db, audit: log, keys: keys, clock: clock}
}
