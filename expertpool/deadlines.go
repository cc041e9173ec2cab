package expertpool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// ExpireDeadlines releases every member still waiting to answer after the
// deadline: the member becomes no_answer, the booking is released, a
// "released" message is queued and a replacement is drawn, one member per
// transaction. It returns how many members it released. Several nodes may
// run it at once: a member locked by another is skipped. A member whose
// release fails is left for the next call and the others go on; the
// error names every failure.
func (s *Service) ExpireDeadlines(ctx context.Context) (int, error) {
	n := 0
	failed := []int64{} // not nil: NULL would match no row
	var errs []error
	for {
		var done bool
		var memberID int64
		err := s.answerTx(ctx, func(tx pgx.Tx) error {
			var drawID int64
			err := tx.QueryRow(ctx, `SELECT id, draw_id FROM expertpool.members
				WHERE state = 'notified' AND deadline <= $1 AND NOT (id = ANY($2))
				ORDER BY deadline, id LIMIT 1 FOR UPDATE SKIP LOCKED`, s.now().UTC(), failed).Scan(&memberID, &drawID)
			if errors.Is(err, pgx.ErrNoRows) {
				done = true
				return nil
			}
			if err != nil {
				return fmt.Errorf("expire: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE expertpool.members SET state = 'no_answer' WHERE id = $1`, memberID); err != nil {
				return fmt.Errorf("expire member %d: %w", memberID, err)
			}
			if err := s.enqueue(ctx, tx, memberID, KindReleased); err != nil {
				return err
			}
			repl, err := s.releaseAndReplace(ctx, tx, memberID, "system")
			if err != nil {
				return err
			}
			_, err = s.audit.Append(ctx, tx, audit.Record{Actor: "system", Action: "member.no_answer", Object: memberObject(memberID),
				Detail: map[string]any{"draw_id": drawID, "replacement_member_id": repl}})
			if err != nil {
				return fmt.Errorf("audit member.no_answer: %w", err)
			}
			return nil
		})
		switch {
		case err != nil && (memberID == 0 || ctx.Err() != nil):
			return n, errors.Join(append(errs, err)...)
		case err != nil:
			failed = append(failed, memberID)
			errs = append(errs, err)
		case done:
			return n, errors.Join(errs...)
		default:
			n++
		}
	}
}

// DeadlineRunner calls ExpireDeadlines periodically.
type DeadlineRunner struct {
	s        *Service
	interval time.Duration
	log      *slog.Logger
	mu       sync.Mutex
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   bool
}

// NewDeadlineRunner returns a runner that expires deadlines every
// interval (0 means 15 seconds); Start runs it.
func (s *Service) NewDeadlineRunner(interval time.Duration) *DeadlineRunner {
	if interval <= 0 {
		interval = 15 * time.Second
	}
	return &DeadlineRunner{s: s, interval: interval, log: s.log.With("runner", "deadlines")}
}

// Start runs the runner until ctx ends or Close is called. Calling it
// again, or after Close, does nothing.
func (r *DeadlineRunner) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil || r.closed {
		return
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(r.interval)
		defer t.Stop()
		for {
			if n, err := r.s.ExpireDeadlines(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("expiring deadlines failed", "err", err)
			} else if n > 0 {
				r.log.Info("members released after deadline", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Close stops the runner and waits for it. It is safe to call twice.
func (r *DeadlineRunner) Close() error {
	r.mu.Lock()
	r.closed = true
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.wg.Wait()
	return nil
}
