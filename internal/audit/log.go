package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// appendLockKey serialises appends across every connection and node.
const appendLockKey int64 = 0x6576616c61756469 // "evalaudi"

// Log appends to and reads the audit log in PostgreSQL.
type Log struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// pending holds entries appended by this process whose commit the
	// committed deliverer has yet to wait for; nil without WithCommitted.
	pending   chan Entry
	committed func(Entry)
}

// Option configures a Log.
type Option func(*Log)

// WithClock makes the log stamp entries with now() instead of the system
// clock.
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// New returns a Log on pool. The audit migrations must have been applied.
func New(pool *pgxpool.Pool, opts ...Option) *Log {
	l := &Log{pool: pool, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Append adds r to the log inside tx. The entry becomes visible when tx
// commits and vanishes if it rolls back. It returns ErrInvalidRecord for
// an incomplete record.
func (l *Log) Append(ctx context.Context, tx pgx.Tx, r Record) (Entry, error) {
	if r.Actor == "" || r.Action == "" {
		return Entry{}, fmt.Errorf("%w: actor and action are required", ErrInvalidRecord)
	}
	detail := []byte("{}")
	if r.Detail != nil {
		b, err := json.Marshal(r.Detail)
		if err != nil {
			return Entry{}, fmt.Errorf("%w: detail: %v", ErrInvalidRecord, err)
		}
		detail = b
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", appendLockKey); err != nil {
		return Entry{}, fmt.Errorf("audit append: lock: %w", err)
	}
	e := Entry{
		At: l.now().UTC().Truncate(time.Microsecond), Actor: r.Actor, Action: r.Action,
		Object: r.Object, Detail: detail, PrevHash: GenesisHash, Seq: 1,
	}
	err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit.entries ORDER BY seq DESC LIMIT 1").Scan(&e.Seq, &e.PrevHash)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		e.Seq, e.PrevHash = 1, GenesisHash
	case err != nil:
		return Entry{}, fmt.Errorf("audit append: read head: %w", err)
	default:
		e.Seq++
	}
	e.Hash = ComputeHash(e)
	if _, err := tx.Exec(ctx, `INSERT INTO audit.entries (seq, at, actor, action, object, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.Seq, e.At, e.Actor, e.Action, e.Object, string(e.Detail), e.PrevHash, e.Hash); err != nil {
		return Entry{}, fmt.Errorf("audit append: insert: %w", err)
	}
	l.queueCommitted(e)
	return e, nil
}

// AppendNow appends r in a transaction of its own.
func (l *Log) AppendNow(ctx context.Context, r Record) (Entry, error) {
	var e Entry
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		var err error
		e, err = l.Append(ctx, tx, r)
		return err
	})
	return e, err
}

// Filter selects entries for List. Zero fields match everything.
type Filter struct {
	// Object, Action and Actor match exactly; ObjectPrefix matches the start.
	Object, ObjectPrefix, Action, Actor string
	// AfterSeq lists entries with a greater seq (for paging).
	AfterSeq int64
	// Limit caps the result (default and maximum 1000).
	Limit int
}

// List returns entries matching f in seq order.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	rows, err := l.pool.Query(ctx, `SELECT seq, at, actor, action, object, detail, prev_hash, hash
		FROM audit.entries
		WHERE seq > $1 AND ($2 = '' OR object = $2) AND ($3 = '' OR action = $3)
		  AND ($4 = '' OR actor = $4) AND ($5 = '' OR starts_with(object, $5))
		ORDER BY seq LIMIT $6`, f.AfterSeq, f.Object, f.Action, f.Actor, f.ObjectPrefix, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	entries, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	return entries, nil
}

func scanEntry(row pgx.CollectableRow) (Entry, error) {
	var e Entry
	var detail string
	err := row.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Object, &detail, &e.PrevHash, &e.Hash)
	e.Detail = json.RawMessage(detail)
	e.At = e.At.UTC()
	return e, err
}

// Report is the outcome of Verify.
type Report struct {
	// Entries is how many entries were checked.
	Entries int64 `json:"entries"`
	// Intact is true when every link holds.
	Intact bool `json:"intact"`
	// BrokenAt is the seq of the first entry that does not fit the chain
	// (0 when intact), and Reason says why.
	BrokenAt int64  `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Head is the hash of the last entry.
	Head []byte `json:"head"`
}

// Verify walks the whole chain and reports the first broken link.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	rows, err := l.pool.Query(ctx, `SELECT seq, at, actor, action, object, detail, prev_hash, hash
		FROM audit.entries ORDER BY seq`)
	if err != nil {
		return Report{}, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
	rep := Report{Intact: true, Head: GenesisHash}
	prev, want := GenesisHash, int64(1)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return Report{}, fmt.Errorf("audit verify: scan: %w", err)
		}
		rep.Entries++
		if rep.Intact {
			switch {
			case e.Seq != want:
				rep.Intact, rep.BrokenAt, rep.Reason = false, e.Seq, fmt.Sprintf("entry %d is missing", want)
			case !bytes.Equal(e.PrevHash, prev):
				rep.Intact, rep.BrokenAt, rep.Reason = false, e.Seq, "previous hash does not match the entry before it"
			case !bytes.Equal(ComputeHash(e), e.Hash):
				rep.Intact, rep.BrokenAt, rep.Reason = false, e.Seq, "entry content does not match its hash"
			}
		}
		prev, want = e.Hash, e.Seq+1
		rep.Head = e.Hash
	}
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("audit verify: %w", err)
	}
	return rep, nil
}
