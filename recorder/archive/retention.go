package archive

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// MinRetentionYears is the legal minimum for keeping a session's
// recordings after the session ended: 15 years. NewRetention refuses
// less.
const MinRetentionYears = 15

// DefaultRetentionBatch is how many segments one transaction of Expire
// tombstones when RetentionParams leave Batch zero.
const DefaultRetentionBatch = 500

// maxReportedExpired caps ExpireReport.Segments.
const maxReportedExpired = 1000

// Sessions tells the retention job about evaluation sessions; cmd adapts
// the room service (archive does not import room).
type Sessions interface {
	// SessionEvidence returns what session id's evidence covers (its
	// rooms and span, as for an evidence export) and when the session
	// ended; ended is zero while it has not ended. Errors: one wrapping
	// ErrNotFound for a session that is not known.
	SessionEvidence(ctx context.Context, id int64) (sel Selection, ended time.Time, err error)
}

// Remover is a store that can delete an object (FS and S3 are). The
// retention job needs it; nothing else deletes.
type Remover interface {
	// Remove deletes key's object; removing an absent object is no
	// error. Errors: ErrBadKey, I/O errors.
	Remove(ctx context.Context, key string) error
}

// RetentionParams configure the retention job.
type RetentionParams struct {
	// Service is the archive whose segments expire; its store must be a
	// Remover. Required.
	Service *Service
	// Years is how long a session's recordings are kept after the
	// session ended; at least MinRetentionYears.
	Years int
	// Sessions tells when sessions ended and what their evidence
	// covers. Required.
	Sessions Sessions
	// Replicas are other stores holding copies of the segments (the
	// replica): an expired segment's bytes are removed there too.
	Replicas []Remover
	// Now is the clock; the Service's when nil.
	Now func() time.Time
	// Batch is how many segments one transaction tombstones;
	// DefaultRetentionBatch when 0.
	Batch int
	// Logger; the Service's when nil.
	Logger *slog.Logger
}

// Retention deletes what the retention period no longer requires: a
// segment whose session ended more than Years ago (an untagged segment:
// whose own end is), unless a legal hold covers it. Its index row becomes
// a tombstone (state "deleted", when, by whom, why; the signed manifest
// stays, so the chain still verifies across it), the deletion is
// audited ("archive.expire"), then its bytes are removed from the store
// and the replicas. It is safe for concurrent use, also from several
// nodes at once.
type Retention struct {
	svc      *Service
	years    int
	sessions Sessions
	store    Remover
	replicas []Remover
	now      func() time.Time
	batch    int
	log      *slog.Logger
}

// NewRetention returns the retention job. Errors: ErrInvalid for a
// missing parameter, a store that cannot delete, or Years below
// MinRetentionYears.
func NewRetention(p RetentionParams) (*Retention, error) {
	switch {
	case p.Service == nil:
		return nil, fmt.Errorf("%w: retention params: Service", ErrInvalid)
	case p.Sessions == nil:
		return nil, fmt.Errorf("%w: retention params: Sessions", ErrInvalid)
	case p.Years < MinRetentionYears:
		return nil, fmt.Errorf("%w: 保存期限 %d 年低于法定最短期限 %d 年 (retention of %d years is below the legal minimum of %d)",
			ErrInvalid, p.Years, MinRetentionYears, p.Years, MinRetentionYears)
	case p.Batch < 0:
		return nil, fmt.Errorf("%w: retention params: Batch %d", ErrInvalid, p.Batch)
	}
	store, ok := p.Service.store.(Remover)
	if !ok {
		return nil, fmt.Errorf("%w: retention: the archive store %T cannot delete", ErrInvalid, p.Service.store)
	}
	if p.Now == nil {
		p.Now = p.Service.now
	}
	if p.Batch == 0 {
		p.Batch = DefaultRetentionBatch
	}
	if p.Logger == nil {
		p.Logger = p.Service.log
	}
	return &Retention{svc: p.Service, years: p.Years, sessions: p.Sessions, store: store, replicas: p.Replicas,
		now: p.Now, batch: p.Batch, log: p.Logger.With("job", "retention")}, nil
}

// Years is the retention period in years.
func (r *Retention) Years() int { return r.years }

// ExpireReport is the outcome of one run of Expire.
type ExpireReport struct {
	// At is when the run began (server UTC); Cutoff is At minus the
	// retention period: sessions that ended before it are past it.
	At     time.Time `json:"at"`
	Cutoff time.Time `json:"cutoff"`
	Years  int       `json:"retention_years"`
	// DryRun is true when nothing was changed.
	DryRun bool `json:"dry_run"`
	// Expired counts the segments deleted (in a dry run: that would be),
	// Bytes their size; Segments lists them (at most 1000).
	Expired  int              `json:"expired"`
	Bytes    int64            `json:"bytes"`
	Segments []ExpiredSegment `json:"segments"`
	// Held counts the segments past retention that a legal hold keeps.
	Held int `json:"held"`
	// Kept counts old segments kept because their session has not
	// ended, or ended within the retention period.
	Kept int `json:"kept"`
	// BlobsRemoved counts the segments whose bytes this run removed from
	// the store (those it deleted, and earlier tombstones whose removal
	// had failed).
	BlobsRemoved int `json:"blobs_removed"`
}

// ExpiredSegment is a segment Expire deleted (or would delete).
type ExpiredSegment struct {
	Hash     string    `json:"hash"`
	Size     int64     `json:"size"`
	Recorder string    `json:"recorder_id"`
	Seq      int64     `json:"seq"`
	Room     int64     `json:"room_id"`
	Session  int64     `json:"session_id,omitempty"`
	Start    time.Time `json:"utc_start"`
	End      time.Time `json:"utc_end"`
	// Since is when its retention began: its session's end, or its own
	// end for a segment of no known session.
	Since time.Time `json:"retained_since"`
	// Reason is the tombstone's reason.
	Reason string `json:"reason"`
}

// Expire runs the retention job once as actor ("system:retention",
// "cli:evalroomctl"): it finds the segments past retention that no
// active hold covers and, unless dryRun, tombstones each one and audits
// it ("archive.expire", object "segment:<hash>") in batches, each batch
// in one transaction that first locks the holds (a hold placed
// meanwhile is respected), then removes their bytes from the store and
// the replicas. An error removing bytes leaves the tombstone for the
// next run to finish; Expire returns the report with the error. Errors:
// ErrInvalid (no actor), database and store errors.
func (r *Retention) Expire(ctx context.Context, actor string, dryRun bool) (ExpireReport, error) {
	if actor == "" {
		return ExpireReport{}, fmt.Errorf("%w: expire: actor", ErrInvalid)
	}
	now := r.now().UTC().Truncate(time.Microsecond)
	rep := ExpireReport{At: now, Cutoff: now.AddDate(-r.years, 0, 0), Years: r.years, DryRun: dryRun, Segments: []ExpiredSegment{}}
	pl := newPlanner(r, rep.Cutoff)
	var after *oldSegment
	for {
		page, err := r.oldSegments(ctx, rep.Cutoff, after)
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			break
		}
		after = &page[len(page)-1]
		due, err := pl.decide(ctx, page, &rep)
		if err != nil {
			return rep, err
		}
		if !dryRun && len(due) > 0 {
			if due, err = r.tombstone(ctx, pl, actor, due, &rep); err != nil {
				return rep, err
			}
		}
		rep.note(due)
		if len(page) < r.batch {
			break
		}
	}
	if dryRun {
		return rep, nil
	}
	n, err := r.removeBlobs(ctx, now)
	rep.BlobsRemoved = n
	r.log.Info("retention run", "actor", actor, "cutoff", rep.Cutoff, "expired", rep.Expired, "bytes", rep.Bytes,
		"held", rep.Held, "kept", rep.Kept, "blobs_removed", n, "err", err)
	return rep, err
}

// note counts expired segments into the report.
func (rep *ExpireReport) note(due []ExpiredSegment) {
	for _, x := range due {
		rep.Expired++
		rep.Bytes += x.Size
		if len(rep.Segments) < maxReportedExpired {
			rep.Segments = append(rep.Segments, x)
		}
	}
}
