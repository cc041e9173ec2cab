package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// committedBuffer is how many appended entries may wait for their commit
// before further ones are not reported (the entries themselves are never
// affected: only the report is lost).
const committedBuffer = 1024

// WithCommitted makes the log report every entry this process appends to
// fn once the transaction that appended it has committed; entries whose
// transaction rolled back are never reported. Reports are delivered, in
// append order, by RunCommitted, which the owner must run. It serves live
// panels: a report is a hint that something changed, sent only when
// readers can already see the change.
func WithCommitted(fn func(Entry)) Option {
	return func(l *Log) {
		l.committed = fn
		l.pending = make(chan Entry, committedBuffer)
	}
}

// queueCommitted hands e to the committed deliverer without blocking.
func (l *Log) queueCommitted(e Entry) {
	if l.pending == nil {
		return
	}
	select {
	case l.pending <- e:
	default:
	}
}

// RunCommitted delivers the reports of WithCommitted until ctx ends. For
// each appended entry it waits for the appending transaction to end (the
// append lock is held until then) and reports the entry if it is in the
// log. Without WithCommitted it returns at once.
func (l *Log) RunCommitted(ctx context.Context) error {
	if l.pending == nil {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-l.pending:
			ok, err := l.isCommitted(ctx, e)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				continue // a hint lost; the entry itself is safe
			}
			if ok {
				l.committed(e)
			}
		}
	}
}

// isCommitted waits until no transaction holds the append lock taken
// before e's, then reports whether e (same seq and hash) is in the log.
func (l *Log) isCommitted(ctx context.Context, e Entry) (bool, error) {
	var ok bool
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", appendLockKey); err != nil {
			return fmt.Errorf("audit committed: lock: %w", err)
		}
		err := tx.QueryRow(ctx, "SELECT true FROM audit.entries WHERE seq = $1 AND hash = $2", e.Seq, e.Hash).Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			ok = false
			return nil
		}
		return err
	})
	return ok, err
}
