package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newLog(t *testing.T) (*audit.Log, *pgxpool.Pool) {
	t.Helper()
	pool := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), pool, audit.Migrations)
	require.NoError(t, err)
	clock := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	return audit.New(pool, audit.WithClock(func() time.Time { clock = clock.Add(time.Second); return clock })), pool
}

func appendN(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := range n {
		_, err := l.AppendNow(context.Background(), audit.Record{Actor: "user:1", Action: "thing.change", Object: "thing:1", Detail: map[string]int{"i": i}})
		require.NoError(t, err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		tamper   string
		brokenAt int64
	}{
		{"intact", "", 0},
		{"edited detail", `UPDATE audit.entries SET detail = '{"i":99}' WHERE seq = 3`, 3},
		{"edited actor", `UPDATE audit.entries SET actor = 'user:2' WHERE seq = 2`, 2},
		{"deleted entry", `DELETE FROM audit.entries WHERE seq = 3`, 4},
		{"deleted and renumbered", `DELETE FROM audit.entries WHERE seq = 3; UPDATE audit.entries SET seq = seq - 1 WHERE seq > 3`, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, pool := newLog(t)
			appendN(t, l, 5)
			if tc.tamper != "" {
				_, err := pool.Exec(ctx, "ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only; "+tc.tamper)
				require.NoError(t, err)
			}
			rep, err := l.Verify(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.brokenAt == 0, rep.Intact, rep.Reason)
			require.Equal(t, tc.brokenAt, rep.BrokenAt)
		})
	}
}

func TestEntriesCannotBeChangedThroughSQL(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 1)
	_, err := pool.Exec(context.Background(), "UPDATE audit.entries SET actor = 'x'")
	require.ErrorContains(t, err, "append-only")
	_, err = pool.Exec(context.Background(), "DELETE FROM audit.entries")
	require.ErrorContains(t, err, "append-only")
}

func TestAppendRejectsIncompleteRecordsAndListFilters(t *testing.T) {
	l, _ := newLog(t)
	ctx := context.Background()
	_, err := l.AppendNow(ctx, audit.Record{Action: "x"})
	require.ErrorIs(t, err, audit.ErrInvalidRecord)
	_, err = l.AppendNow(ctx, audit.Record{Actor: "user:1", Action: "x", Detail: func() {}})
	require.ErrorIs(t, err, audit.ErrInvalidRecord)
	appendN(t, l, 2)
	_, err = l.AppendNow(ctx, audit.Record{Actor: "system", Action: "draw.commit", Object: "draw:9"})
	require.NoError(t, err)
	got, err := l.List(ctx, audit.Filter{ObjectPrefix: "draw:"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "draw.commit", got[0].Action)
	require.Equal(t, int64(3), got[0].Seq)
	all, err := l.List(ctx, audit.Filter{AfterSeq: 1})
	require.NoError(t, err)
	require.Len(t, all, 2)
}
