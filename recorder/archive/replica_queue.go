package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The states of a segment in the replication queue (archive.replication).
const (
	// ReplicaPending: accepted, not copied yet.
	ReplicaPending = "pending"
	// ReplicaFailed: the last copy failed; it is retried from
	// next_attempt_at.
	ReplicaFailed = "failed"
	// ReplicaDone: the replica holds the segment and its manifest.
	ReplicaDone = "done"
)

// ReplicationStats counts the replication queue's segments by state, for
// monitoring (a metrics exporter reads it). Segments the retention job
// deleted are not counted.
type ReplicationStats struct {
	// Pending segments wait for their first copy; Failed ones wait for
	// a retry after a failed copy; Done ones are in the replica.
	Pending int64 `json:"pending"`
	Failed  int64 `json:"failed"`
	Done    int64 `json:"done"`
	// OldestWaiting is when the oldest segment not yet copied was
	// accepted; zero when none waits.
	OldestWaiting time.Time `json:"oldest_waiting,omitzero"`
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// enqueue puts a segment into the replication queue (inside the
// transaction that accepts it); a segment already queued stays as it is.
func enqueue(ctx context.Context, q execer, segment, manifestKey string, at time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO archive.replication (segment_hash, manifest_key, enqueued_at, next_attempt_at)
		VALUES ($1, $2, $3, $3) ON CONFLICT (segment_hash) DO NOTHING`, segment, manifestKey, at)
	if err != nil {
		return fmt.Errorf("queue replication of %s: %w", segment, err)
	}
	return nil
}

// backfill queues every indexed segment the queue lacks (accepted while
// replication was off), except those the retention job deleted, and
// returns how many.
func backfill(ctx context.Context, db *pgxpool.Pool, at time.Time) (int64, error) {
	tag, err := db.Exec(ctx, `INSERT INTO archive.replication (segment_hash, manifest_key, enqueued_at, next_attempt_at)
		SELECT s.hash, encode(sha256(convert_to(s.manifest_raw, 'UTF8')), 'hex'), $1, $1
		FROM archive.segments s
		WHERE s.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM archive.replication r WHERE r.segment_hash = s.hash)
		ON CONFLICT (segment_hash) DO NOTHING`, at)
	if err != nil {
		return 0, fmt.Errorf("queue unreplicated segments: %w", err)
	}
	return tag.RowsAffected(), nil
}

// replItem is a queued segment to copy.
type replItem struct {
	segment, manifestKey string
	size                 int64
	manifestRaw          string
	attempts             int
}

// claim takes the next due segment (pending, or failed and due at now;
// not one the retention job deleted)
// and leases it until now+lease by moving its next_attempt_at, so that
// no other worker takes it meanwhile. ok is false when none is due.
func claim(ctx context.Context, db *pgxpool.Pool, now time.Time, lease time.Duration) (replItem, bool, error) {
	var it replItem
	err := db.QueryRow(ctx, `WITH due AS (
			SELECT q.segment_hash FROM archive.replication q JOIN archive.segments g ON g.hash = q.segment_hash
			WHERE q.state <> 'done' AND q.next_attempt_at <= $1 AND g.deleted_at IS NULL
			ORDER BY q.next_attempt_at, q.segment_hash LIMIT 1 FOR UPDATE OF q SKIP LOCKED)
		UPDATE archive.replication r SET attempts = r.attempts + 1, next_attempt_at = $2
		FROM due, archive.segments s
		WHERE r.segment_hash = due.segment_hash AND s.hash = r.segment_hash
		RETURNING r.segment_hash, r.manifest_key, s.size, s.manifest_raw, r.attempts`,
		now, now.Add(lease)).Scan(&it.segment, &it.manifestKey, &it.size, &it.manifestRaw, &it.attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return replItem{}, false, nil
	}
	if err != nil {
		return replItem{}, false, fmt.Errorf("claim a replication: %w", err)
	}
	return it, true, nil
}

// recordDone marks a segment replicated.
func recordDone(ctx context.Context, db *pgxpool.Pool, segment string, at time.Time) error {
	_, err := db.Exec(ctx, `UPDATE archive.replication SET state = 'done', done_at = $2, last_error = '', next_attempt_at = $2
		WHERE segment_hash = $1`, segment, at)
	if err != nil {
		return fmt.Errorf("record replication of %s: %w", segment, err)
	}
	return nil
}

// recordFailed marks a copy failed, to be retried at retryAt.
func recordFailed(ctx context.Context, db *pgxpool.Pool, segment string, cause error, retryAt time.Time) error {
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	_, err := db.Exec(ctx, `UPDATE archive.replication SET state = 'failed', done_at = NULL, last_error = $2, next_attempt_at = $3
		WHERE segment_hash = $1`, segment, msg, retryAt)
	if err != nil {
		return fmt.Errorf("record failed replication of %s: %w", segment, err)
	}
	return nil
}

// replicationStats counts the queue by state.
func replicationStats(ctx context.Context, db *pgxpool.Pool) (ReplicationStats, error) {
	var st ReplicationStats
	var oldest *time.Time
	err := db.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE r.state = 'pending'),
			count(*) FILTER (WHERE r.state = 'failed'),
			count(*) FILTER (WHERE r.state = 'done'),
			min(r.enqueued_at) FILTER (WHERE r.state <> 'done')
		FROM archive.replication r JOIN archive.segments s ON s.hash = r.segment_hash
		WHERE s.deleted_at IS NULL`).Scan(&st.Pending, &st.Failed, &st.Done, &oldest)
	if err != nil {
		return ReplicationStats{}, fmt.Errorf("replication stats: %w", err)
	}
	if oldest != nil {
		st.OldestWaiting = oldest.UTC()
	}
	return st, nil
}

// ReplicationStats counts the replication queue by state (all zero when
// replication was never configured). It only reads the database, so any
// node can report it, whether or not it runs a Replicator.
func (s *Service) ReplicationStats(ctx context.Context) (ReplicationStats, error) {
	return replicationStats(ctx, s.db)
}
