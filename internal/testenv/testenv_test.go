package testenv_test

import (
	"context"
	"testing"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPostgresGivesEachTestItsOwnDatabase(t *testing.T) {
	ctx := context.Background()
	a := testenv.Postgres(t)
	b := testenv.Postgres(t)
	_, err := a.Exec(ctx, "CREATE TABLE only_in_a (x int)")
	require.NoError(t, err)
	var n int
	require.NoError(t, b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n))
	require.Equal(t, 0, n)
	require.NoError(t, a.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n))
	require.Equal(t, 1, n)
}

func TestRedisPrefixesDiffer(t *testing.T) {
	a := testenv.Redis(t)
	b := testenv.Redis(t)
	require.NotEqual(t, a.Prefix, b.Prefix)
	ctx := context.Background()
	require.NoError(t, a.Client.Set(ctx, a.Prefix+"k", "v", 0).Err())
	require.Equal(t, "v", a.Client.Get(ctx, a.Prefix+"k").Val())
}

func TestRedisServerRestartLosesData(t *testing.T) {
	s := testenv.StartRedis(t)
	ctx := context.Background()
	c := newClient(s.Addr)
	defer c.Close()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	s.Stop(t)
	require.Error(t, c.Ping(ctx).Err())
	s.Restart(t)
	require.NoError(t, c.Ping(ctx).Err())
	require.Equal(t, int64(0), c.Exists(ctx, "k").Val())
}
