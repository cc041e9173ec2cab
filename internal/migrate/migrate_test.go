package migrate_test

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestApplyRunsEachMigrationOnceEvenConcurrently(t *testing.T) {
	pool := testenv.Postgres(t)
	set := migrate.Set{Schema: "demo", Dir: "m", FS: fstest.MapFS{
		"m/0001_create.sql": {Data: []byte("CREATE TABLE demo.t (x int)")},
		"m/0002_insert.sql": {Data: []byte("INSERT INTO demo.t VALUES (1)")},
	}}
	var wg sync.WaitGroup
	counts := make([]int, 5)
	errs := make([]error, 5)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = migrate.Apply(context.Background(), pool, set)
		}()
	}
	wg.Wait()
	total := 0
	for i := range 5 {
		require.NoError(t, errs[i])
		total += counts[i]
	}
	require.Equal(t, 2, total)
	var rows int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM demo.t").Scan(&rows))
	require.Equal(t, 1, rows)
}

func TestApplyRejectsBadNamesAndRollsBackFailures(t *testing.T) {
	pool := testenv.Postgres(t)
	ctx := context.Background()
	cases := []struct {
		name string
		fs   fstest.MapFS
		want error
	}{
		{"bad name", fstest.MapFS{"m/create.sql": {Data: []byte("SELECT 1")}}, migrate.ErrBadMigrationName},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": {Data: []byte("SELECT 1")}, "m/0001_b.sql": {Data: []byte("SELECT 1")}}, migrate.ErrDuplicateVersion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := migrate.Apply(ctx, pool, migrate.Set{Schema: "bad", Dir: "m", FS: tc.fs})
			require.ErrorIs(t, err, tc.want)
		})
	}
	t.Run("failing sql leaves nothing", func(t *testing.T) {
		set := migrate.Set{Schema: "half", Dir: "m", FS: fstest.MapFS{
			"m/0001_a.sql": {Data: []byte("CREATE TABLE half.a (x int); SELECT no_such_function();")},
		}}
		_, err := migrate.Apply(ctx, pool, set)
		require.Error(t, err)
		var n int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname='half' AND tablename='a'").Scan(&n))
		require.Equal(t, 0, n)
	})
}
