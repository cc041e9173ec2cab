package audit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
)

// TestCommittedReportsOnlyAfterCommit: an entry is reported once its
// transaction has committed, not before; a rolled-back entry never is.
func TestCommittedReportsOnlyAfterCommit(t *testing.T) {
	pool := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), pool, audit.Migrations)
	require.NoError(t, err)
	reports := make(chan audit.Entry, 10)
	l := audit.New(pool, audit.WithCommitted(func(e audit.Entry) { reports <- e }))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = l.RunCommitted(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	// A transaction that appends and then waits: no report while it is open.
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	first, err := l.Append(ctx, tx, audit.Record{Actor: "user:1", Action: "session.phase", Object: "session:1"})
	require.NoError(t, err)
	select {
	case e := <-reports:
		t.Fatalf("reported before commit: %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
	// Readers cannot see it yet either.
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM audit.entries").Scan(&n))
	require.Zero(t, n)
	require.NoError(t, tx.Commit(ctx))
	got := <-reports
	require.Equal(t, first.Seq, got.Seq)
	require.Equal(t, "session.phase", got.Action)

	// A rolled-back append is never reported; the next committed one is.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := l.Append(ctx, tx, audit.Record{Actor: "user:1", Action: "rolled.back"}); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	require.Error(t, err)
	_, err = l.AppendNow(ctx, audit.Record{Actor: "user:1", Action: "after.rollback"})
	require.NoError(t, err)
	require.Equal(t, "after.rollback", (<-reports).Action)
	select {
	case e := <-reports:
		t.Fatalf("unexpected report %+v", e)
	default:
	}
}
