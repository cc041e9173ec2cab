package archive

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults of ReplicatorParams.
const (
	// DefaultReplicaInterval is how often the queue is looked at when no
	// acceptance wakes the worker (retries come due in between).
	DefaultReplicaInterval = 30 * time.Second
	// DefaultReplicaRetry is the wait after a first failed copy; it
	// doubles with each failure up to DefaultReplicaMaxRetry.
	DefaultReplicaRetry    = 10 * time.Second
	DefaultReplicaMaxRetry = time.Hour
	// DefaultReplicaLease is how long a claimed copy is left to its
	// worker before another may take it over.
	DefaultReplicaLease = 15 * time.Minute
)

// ReplicatorParams are a Replicator's dependencies.
type ReplicatorParams struct {
	// DB holds the archive schema. Required.
	DB *pgxpool.Pool
	// Primary is the archive's store, copied from. Required.
	Primary Store
	// Replica is the second copy. Both stores are required.
	Replica Replica
	// Now stamps the queue; time.Now when nil.
	Now func() time.Time
	// Logger logs copies and failures; slog.Default() when nil.
	Logger *slog.Logger
	// Interval, Retry, MaxRetry and Lease default to the
	// DefaultReplica* values when zero.
	Interval, Retry, MaxRetry, Lease time.Duration
}

// Replicator copies each accepted segment and its signed manifest from
// the primary store to the replica. Acceptance queues the segment in
// archive.replication in its own transaction (Params.Replicator) and
// wakes the worker; the copy happens afterwards, in the worker, so a slow
// or unreachable replica never delays a recorder's upload. A failed copy
// is retried with a growing delay, forever, from the queue in PostgreSQL,
// so a restart loses nothing; several evalroomd nodes share the queue.
// Copying puts the bytes through the replica's Put, which checks their
// hash, so a damaged primary object is never copied. Safe for concurrent
// use.
type Replicator struct {
	db                               *pgxpool.Pool
	primary                          Store
	replica                          Replica
	now                              func() time.Time
	log                              *slog.Logger
	interval, retry, maxRetry, lease time.Duration

	kick    chan struct{}
	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewReplicator returns a Replicator; Start runs its worker. Errors:
// ErrInvalid for a missing dependency or a negative duration.
func NewReplicator(p ReplicatorParams) (*Replicator, error) {
	switch {
	case p.DB == nil:
		return nil, fmt.Errorf("%w: replicator params: DB", ErrInvalid)
	case p.Primary == nil:
		return nil, fmt.Errorf("%w: replicator params: Primary", ErrInvalid)
	case p.Replica.Segments == nil || p.Replica.Manifests == nil:
		return nil, fmt.Errorf("%w: replicator params: Replica", ErrInvalid)
	case p.Interval < 0 || p.Retry < 0 || p.MaxRetry < 0 || p.Lease < 0:
		return nil, fmt.Errorf("%w: replicator params: negative duration", ErrInvalid)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&p.Interval, DefaultReplicaInterval)
	def(&p.Retry, DefaultReplicaRetry)
	def(&p.MaxRetry, DefaultReplicaMaxRetry)
	def(&p.Lease, DefaultReplicaLease)
	return &Replicator{db: p.DB, primary: p.Primary, replica: p.Replica, now: p.Now,
		log: p.Logger.With("component", "archive-replica"), interval: p.Interval, retry: p.Retry,
		maxRetry: p.MaxRetry, lease: p.Lease, kick: make(chan struct{}, 1)}, nil
}

// Start runs the worker until Close: it first queues any indexed segment
// the queue lacks (accepted while replication was off), then copies
// whatever is due whenever an acceptance wakes it and every Interval.
// Starting twice, or after Close, does nothing.
func (r *Replicator) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.closed {
		return
	}
	r.started = true
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(1)
	go r.run(ctx)
}

// Close stops the worker, waiting for a copy under way to end (it is
// cancelled; its segment is retried later). Idempotent.
func (r *Replicator) Close() error {
	r.mu.Lock()
	r.closed = true
	if r.cancel != nil {
		r.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}

// Kick wakes the worker to copy newly queued segments; it never blocks.
func (r *Replicator) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Stats counts the replication queue by state.
func (r *Replicator) Stats(ctx context.Context) (ReplicationStats, error) {
	return replicationStats(ctx, r.db)
}

func (r *Replicator) run(ctx context.Context) {
	defer r.wg.Done()
	if n, err := backfill(ctx, r.db, r.now().UTC()); err != nil {
		r.log.Warn("replication backfill failed", "err", err)
	} else if n > 0 {
		r.log.Info("queued segments accepted while replication was off", "segments", n)
	}
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("replication queue", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-t.C:
		}
	}
}

// Drain copies every queued segment that is due now, one after another,
// and returns how many were copied; a failed copy is recorded and
// retried later (it is not an error of Drain). Errors: the database's,
// and the context's when it ends.
func (r *Replicator) Drain(ctx context.Context) (int, error) {
	copied := 0
	for ctx.Err() == nil {
		it, ok, err := claim(ctx, r.db, r.now().UTC(), r.lease)
		if err != nil || !ok {
			return copied, err
		}
		if _, err := r.copyItem(ctx, it, false); err != nil {
			if ctx.Err() != nil {
				// Stopped mid-copy: the lease runs out and the copy is retried.
				return copied, ctx.Err()
			}
			wait := r.backoff(it.attempts)
			r.log.Warn("replica copy failed", "segment", it.segment, "attempt", it.attempts, "retry_in", wait, "err", err)
			if err := recordFailed(ctx, r.db, it.segment, err, r.now().UTC().Add(wait)); err != nil {
				return copied, err
			}
			continue
		}
		if err := recordDone(ctx, r.db, it.segment, r.now().UTC()); err != nil {
			return copied, err
		}
		copied++
	}
	return copied, ctx.Err()
}

// backoff is the wait before retry number attempts+1.
func (r *Replicator) backoff(attempts int) time.Duration {
	d := r.retry
	for i := 1; i < attempts && d < r.maxRetry; i++ {
		d *= 2
	}
	return min(d, r.maxRetry)
}

// copyItem copies a segment and its manifest to the replica and
// reports whether it wrote either. An object the replica holds already
// is read back and hashed (it is never rewritten); with verify, so is
// each object just copied.
func (r *Replicator) copyItem(ctx context.Context, it replItem, verify bool) (bool, error) {
	wroteSeg, err := r.copyObject(ctx, r.replica.Segments, it.segment, it.size, verify, func() (io.ReadCloser, error) {
		o, err := r.primary.Open(ctx, it.segment)
		if err != nil {
			return nil, fmt.Errorf("primary segment %s: %w", it.segment, err)
		}
		return o, nil
	})
	if err != nil {
		return wroteSeg, &segmentError{segment: it.segment, err: fmt.Errorf("segment %s: %w", it.segment, err)}
	}
	wroteMan, err := r.copyObject(ctx, r.replica.Manifests, it.manifestKey, MaxManifestBytes, verify, func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(it.manifestRaw)), nil
	})
	if err != nil {
		return wroteSeg || wroteMan, fmt.Errorf("manifest %s of segment %s: %w", it.manifestKey, it.segment, err)
	}
	return wroteSeg || wroteMan, nil
}

// copyObject puts the bytes open returns into dst under key unless dst
// holds key; an object it held is hashed again, and so is one just
// written when verify is set. It reports whether it wrote.
func (r *Replicator) copyObject(ctx context.Context, dst Store, key string, max int64, verify bool, open func() (io.ReadCloser, error)) (bool, error) {
	has, err := dst.Has(ctx, key)
	if err != nil {
		return false, fmt.Errorf("replica: %w", err)
	}
	if !has {
		src, err := open()
		if err != nil {
			return false, err
		}
		_, err = dst.Put(ctx, key, src, max)
		src.Close()
		if err != nil {
			return false, fmt.Errorf("copy to the replica: %w", err)
		}
		if !verify {
			return true, nil
		}
	}
	if _, _, err := checkObject(ctx, dst, key); err != nil {
		return !has, fmt.Errorf("replica: %w", err)
	}
	return !has, nil
}
