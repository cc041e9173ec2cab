package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/evalroom/evalroom/internal/audit"
)

// tombstone marks the segments of due deleted by actor and audits each
// one, in one transaction that first locks the holds against change and
// drops any segment a hold placed meanwhile covers (counted as held). A
// segment another node tombstoned first is skipped. It returns the
// segments it tombstoned.
func (r *Retention) tombstone(ctx context.Context, pl *planner, actor string, due []ExpiredSegment, rep *ExpireReport) ([]ExpiredSegment, error) {
	at := r.now().UTC().Truncate(time.Microsecond)
	var done []ExpiredSegment
	held := 0
	err := pgx.BeginFunc(ctx, r.svc.db, func(tx pgx.Tx) error {
		done, held = nil, 0
		// SHARE mode waits for a hold being placed or released to commit,
		// and keeps new ones out until this batch is done.
		if _, err := tx.Exec(ctx, `LOCK TABLE archive.holds IN SHARE MODE`); err != nil {
			return fmt.Errorf("lock holds: %w", err)
		}
		hs, err := activeHolds(ctx, tx)
		if err != nil {
			return err
		}
		if err := pl.useHolds(ctx, hs); err != nil {
			return err
		}
		for _, x := range due {
			if pl.held(x.old()) {
				held++
				continue
			}
			tag, err := tx.Exec(ctx, `UPDATE archive.segments SET deleted_at = $2, deleted_by = $3, delete_reason = $4,
				state = 'deleted' WHERE hash = $1 AND deleted_at IS NULL`, x.Hash, at, actor, x.Reason)
			if err != nil {
				return fmt.Errorf("tombstone %s: %w", x.Hash, err)
			}
			if tag.RowsAffected() == 0 {
				continue // another node was first
			}
			if _, err := r.svc.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "archive.expire",
				Object: "segment:" + x.Hash, Detail: expireDetail(x, rep)}); err != nil {
				return err
			}
			done = append(done, x)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expire segments: %w", err)
	}
	rep.Held += held
	return done, nil
}

// old is x as the planner sees it.
func (x ExpiredSegment) old() oldSegment {
	return oldSegment{hash: x.Hash, size: x.Size, recorder: x.Recorder, seq: x.Seq, room: x.Room, session: x.Session,
		start: x.Start, end: x.End}
}

// expireDetail is the audit detail of one deletion.
func expireDetail(x ExpiredSegment, rep *ExpireReport) map[string]any {
	return map[string]any{"segment": x.Hash, "size": x.Size, "recorder_id": x.Recorder, "seq": x.Seq,
		"room_id": x.Room, "session_id": x.Session, "utc_start": x.Start, "utc_end": x.End,
		"retained_since": x.Since, "retention_years": rep.Years, "cutoff": rep.Cutoff, "reason": x.Reason}
}

// removeBlobs removes from the store and the replicas the bytes of every
// tombstone whose bytes are not yet removed, and records when. It goes
// on past a failure (that tombstone waits for the next run) and returns
// how many it removed and the failures joined.
func (r *Retention) removeBlobs(ctx context.Context, at time.Time) (int, error) {
	n := 0
	var errs []error
	afterAt, afterHash := time.Time{}, ""
	for {
		rows, err := r.svc.db.Query(ctx, `SELECT hash, deleted_at FROM archive.segments
			WHERE deleted_at IS NOT NULL AND blob_removed_at IS NULL AND (deleted_at, hash) > ($1, $2)
			ORDER BY deleted_at, hash LIMIT $3`, afterAt, afterHash, r.batch)
		if err != nil {
			return n, errors.Join(append(errs, fmt.Errorf("tombstones to clear: %w", err))...)
		}
		type pending struct {
			hash string
			at   time.Time
		}
		page, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pending, error) {
			var p pending
			return p, row.Scan(&p.hash, &p.at)
		})
		if err != nil {
			return n, errors.Join(append(errs, fmt.Errorf("tombstones to clear: %w", err))...)
		}
		for _, p := range page {
			if err := r.removeBlob(ctx, p.hash, at); err != nil {
				r.log.Error("remove expired segment", "segment", p.hash, "err", err)
				errs = append(errs, err)
				continue
			}
			n++
		}
		if len(page) < r.batch {
			return n, errors.Join(errs...)
		}
		afterAt, afterHash = page[len(page)-1].at, page[len(page)-1].hash
	}
}

// removeBlob removes one tombstone's bytes everywhere, then records it.
func (r *Retention) removeBlob(ctx context.Context, hash string, at time.Time) error {
	for _, st := range append([]Remover{r.store}, r.replicas...) {
		if err := st.Remove(ctx, hash); err != nil {
			return fmt.Errorf("remove expired segment %s: %w", hash, err)
		}
	}
	if _, err := r.svc.db.Exec(ctx, `UPDATE archive.segments SET blob_removed_at = $2
		WHERE hash = $1 AND blob_removed_at IS NULL`, hash, at); err != nil {
		return fmt.Errorf("record removal of %s: %w", hash, err)
	}
	return nil
}
