package archive

import (
	"context"
	"errors"
	"fmt"
)

// The kinds of ReplicaProblem.
const (
	// ProblemSegmentMissing: the replica does not hold the segment.
	ProblemSegmentMissing = "segment_missing"
	// ProblemSegmentDiffers: the replica's segment bytes do not hash to
	// the segment's hash.
	ProblemSegmentDiffers = "segment_differs"
	// ProblemManifestMissing: the replica does not hold the manifest.
	ProblemManifestMissing = "manifest_missing"
	// ProblemManifestDiffers: the replica's manifest bytes do not hash to
	// its key.
	ProblemManifestDiffers = "manifest_differs"
	// ProblemCopyFailed: ReplicateAll could not copy the segment or its
	// manifest (Detail says why: the primary lacks it, its bytes are
	// damaged, the replica refused the write…).
	ProblemCopyFailed = "copy_failed"
)

// maxReportedProblems caps ReplicaReport.Problems.
const maxReportedProblems = 100

// ReplicaProblem is one segment whose second copy is not right.
type ReplicaProblem struct {
	// Segment is the segment's hash; Recorder and Seq place it in its
	// chain, Session is the session its manifest names (0: none).
	Segment  string `json:"segment"`
	Recorder string `json:"recorder_id"`
	Seq      int64  `json:"seq"`
	Session  int64  `json:"session_id,omitempty"`
	// Kind is one of the Problem* constants; Detail says more.
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// ReplicaReport is the outcome of CheckReplica and ReplicateAll.
type ReplicaReport struct {
	// Segments is how many indexed segments were looked at; OK how many
	// have both objects in the replica with the right hashes.
	Segments int `json:"segments"`
	OK       int `json:"ok"`
	// Copied is how many segments had an object copied (ReplicateAll).
	Copied int `json:"copied"`
	// Bytes is how many replica bytes were read back and hashed.
	Bytes int64 `json:"bytes"`
	// Missing, Differs and Failed count the problems by kind (Missing:
	// a segment or a manifest absent; Differs: present with other bytes;
	// Failed: ReplicateAll could not copy).
	Missing int `json:"missing"`
	Differs int `json:"differs"`
	Failed  int `json:"failed"`
	// Problems lists the first 100 problems, in hash order.
	Problems []ReplicaProblem `json:"problems,omitempty"`
}

// add records a problem.
func (rep *ReplicaReport) add(p ReplicaProblem) {
	switch p.Kind {
	case ProblemSegmentMissing, ProblemManifestMissing:
		rep.Missing++
	case ProblemSegmentDiffers, ProblemManifestDiffers:
		rep.Differs++
	default:
		rep.Failed++
	}
	if len(rep.Problems) < maxReportedProblems {
		rep.Problems = append(rep.Problems, p)
	}
}

// Clean reports whether every segment looked at has its two copies.
func (rep ReplicaReport) Clean() bool { return rep.Missing+rep.Differs+rep.Failed == 0 }

// indexedSegment is what the replica checks need of an index row.
type indexedSegment struct {
	replItem
	recorder string
	seq      int64
	session  int64
}

// eachSegment calls fn for every indexed segment the retention job has
// not deleted (their bytes are gone from both copies), in hash order,
// reading the index a page at a time.
func (r *Replicator) eachSegment(ctx context.Context, fn func(indexedSegment) error) error {
	const page = 500
	after := ""
	for {
		rows, err := r.db.Query(ctx, `SELECT hash, size, manifest_raw, recorder_id, seq, coalesce(session_id, 0)
			FROM archive.segments WHERE hash > $1 AND deleted_at IS NULL ORDER BY hash LIMIT $2`, after, page)
		if err != nil {
			return fmt.Errorf("list segments: %w", err)
		}
		var batch []indexedSegment
		for rows.Next() {
			var g indexedSegment
			if err := rows.Scan(&g.segment, &g.size, &g.manifestRaw, &g.recorder, &g.seq, &g.session); err != nil {
				rows.Close()
				return fmt.Errorf("list segments: %w", err)
			}
			g.manifestKey = ManifestKey([]byte(g.manifestRaw))
			batch = append(batch, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list segments: %w", err)
		}
		for _, g := range batch {
			if err := fn(g); err != nil {
				return err
			}
		}
		if len(batch) < page {
			return nil
		}
		after = batch[len(batch)-1].segment
	}
}

// CheckReplica reads back every indexed segment and manifest from the
// replica and hashes them, and reports those missing or whose bytes
// differ. It changes nothing. Errors: the database's and the context's;
// a replica that cannot be read is reported per segment (copy_failed).
func (r *Replicator) CheckReplica(ctx context.Context) (ReplicaReport, error) {
	var rep ReplicaReport
	err := r.eachSegment(ctx, func(g indexedSegment) error {
		rep.Segments++
		ok := true
		for _, o := range []struct {
			store            Store
			key              string
			missing, differs string
		}{
			{r.replica.Segments, g.segment, ProblemSegmentMissing, ProblemSegmentDiffers},
			{r.replica.Manifests, g.manifestKey, ProblemManifestMissing, ProblemManifestDiffers},
		} {
			has, n, err := checkObject(ctx, o.store, o.key)
			rep.Bytes += n
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, ErrReplicaDiffers):
				rep.add(g.problem(o.differs, err.Error()))
				ok = false
			case err != nil:
				rep.add(g.problem(ProblemCopyFailed, err.Error()))
				ok = false
			case !has:
				rep.add(g.problem(o.missing, "副本中没有 "+o.key+" (the replica lacks "+o.key+")"))
				ok = false
			}
		}
		if ok {
			rep.OK++
		}
		return nil
	})
	return rep, err
}

// ReplicateAll is the catch-up: for every indexed segment it copies the
// segment and its manifest to the replica when missing (through the
// replica's hash-checking Put), reads every replica object back and
// hashes it, and records the outcome in the queue (done, or failed to be
// retried). A replica object whose bytes differ is reported, not
// overwritten. Errors: the database's and the context's.
func (r *Replicator) ReplicateAll(ctx context.Context) (ReplicaReport, error) {
	var rep ReplicaReport
	if _, err := backfill(ctx, r.db, r.now().UTC()); err != nil {
		return rep, err
	}
	err := r.eachSegment(ctx, func(g indexedSegment) error {
		rep.Segments++
		wrote, err := r.copyItem(ctx, g.replItem, true)
		if wrote {
			rep.Copied++
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			kind := ProblemCopyFailed
			if errors.Is(err, ErrReplicaDiffers) {
				kind = ProblemSegmentDiffers
				if !isSegmentErr(err, g.segment) {
					kind = ProblemManifestDiffers
				}
			}
			rep.add(g.problem(kind, err.Error()))
			return recordFailed(ctx, r.db, g.segment, err, r.now().UTC().Add(r.retry))
		}
		rep.OK++
		rep.Bytes += g.size + int64(len(g.manifestRaw))
		return recordDone(ctx, r.db, g.segment, r.now().UTC())
	})
	return rep, err
}

// isSegmentErr reports whether a copyItem error is about the segment's
// bytes rather than its manifest's.
func isSegmentErr(err error, segment string) bool {
	var se *segmentError
	return errors.As(err, &se) && se.segment == segment
}

// problem is a ReplicaProblem about g.
func (g indexedSegment) problem(kind, detail string) ReplicaProblem {
	return ReplicaProblem{Segment: g.segment, Recorder: g.recorder, Seq: g.seq, Session: g.session, Kind: kind, Detail: detail}
}

// segmentError marks a copyItem error about the segment's own bytes.
type segmentError struct {
	segment string
	err     error
}

func (e *segmentError) Error() string { return e.err.Error() }
func (e *segmentError) Unwrap() error { return e.err }
