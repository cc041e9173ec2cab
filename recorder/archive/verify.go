package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// maxReportedBreaks caps VerifyReport.BrokenLinks.
const maxReportedBreaks = 100

// VerifyReport is the outcome of VerifySession.
type VerifyReport struct {
	// Session, Rooms, From and To are the selection verified.
	Session int64     `json:"session_id,omitempty"`
	Rooms   []int64   `json:"room_ids"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// VerifiedAt is when (server UTC); every segment checked carries it.
	VerifiedAt time.Time `json:"verified_at"`
	// Segments counts the segments checked (the selection and any
	// segment of the same chains between them), Verified those that
	// held, Broken the others; Bytes is the bytes hashed again.
	Segments int   `json:"segments"`
	Verified int   `json:"verified"`
	Broken   int   `json:"broken"`
	Bytes    int64 `json:"bytes"`
	// Deleted counts the segments deleted after the retention period
	// (tombstones): their bytes are gone by design, so only their signed
	// manifests and chain links are checked; one whose links hold is
	// neither verified nor broken. DeletedSegments lists them (at most
	// 100), in chain order.
	Deleted         int              `json:"deleted"`
	DeletedSegments []DeletedSegment `json:"deleted_segments,omitempty"`
	// Chains has one entry per recorder: its slice's anchor (first seq
	// and prev_hash), its end and its counts.
	Chains []evidence.SliceReport `json:"chains"`
	// BrokenLinks lists each broken segment's link (at most 100), in
	// chain order; First is the first of them.
	BrokenLinks []*evidence.Break `json:"broken_links,omitempty"`
	First       *evidence.Break   `json:"first_broken,omitempty"`
	// OK is true when every link holds (and false when nothing was
	// found to verify: Segments is 0).
	OK bool `json:"ok"`
}

// DeletedSegment is a tombstone met by VerifySession: a segment deleted
// after the retention period ("已超过保存期限删除"), not a missing or
// altered one.
type DeletedSegment struct {
	Hash      string    `json:"hash"`
	Recorder  string    `json:"recorder_id"`
	Seq       int64     `json:"seq"`
	DeletedAt time.Time `json:"deleted_at"`
	DeletedBy string    `json:"deleted_by"`
	Reason    string    `json:"reason"`
}

// VerifySession checks a session's evidence in the central archive
// again: for every segment of sel (and every segment of the same chains
// between them) it re-reads the stored bytes and hashes them, verifies
// the manifest's signature with the recorder's key that was in force
// when the segment was accepted (every key the recorder ever had is
// kept, see KeyHistory), checks
// the chain links (seq contiguous, prev_hash the previous manifest's
// hash, the slice's first manifest linking to the indexed manifest
// before it) and that the index row says what its signed manifest says.
// A segment deleted after the retention period (a tombstone) is counted
// as deleted, not missing: its bytes are not looked for, its manifest and
// links are checked as for any other. It records each segment's outcome (verified_at, state, verify_detail)
// and appends "archive.verify" by actor with the summary to the audit
// log, in one transaction. Errors: ErrInvalid (a bad selection), I/O and
// database errors; broken links are in the report.
func (s *Service) VerifySession(ctx context.Context, actor string, sel Selection) (VerifyReport, error) {
	if actor == "" {
		return VerifyReport{}, fmt.Errorf("%w: verify: actor", ErrInvalid)
	}
	slices, err := s.slices(ctx, sel)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify session %d: %w", sel.Session, err)
	}
	rep := VerifyReport{Session: sel.Session, Rooms: sel.Rooms, From: sel.From.UTC(), To: sel.To.UTC(),
		VerifiedAt: s.now().UTC().Truncate(time.Microsecond), Chains: []evidence.SliceReport{}}
	var upd updates
	for _, sl := range slices {
		sr, err := s.verifySlice(ctx, sl)
		if err != nil {
			return VerifyReport{}, fmt.Errorf("verify session %d: %w", sel.Session, err)
		}
		for i, r := range sr.Results {
			g := sl.rows[i]
			upd.add(g, r.Break)
			rep.Segments++
			if g.Tombstone != nil {
				rep.Deleted++
				if len(rep.DeletedSegments) < maxReportedBreaks {
					rep.DeletedSegments = append(rep.DeletedSegments, DeletedSegment{Hash: g.Hash, Recorder: g.Recorder,
						Seq: g.Seq, DeletedAt: g.Tombstone.DeletedAt, DeletedBy: g.Tombstone.DeletedBy, Reason: g.Tombstone.Reason})
				}
			}
			if r.Break == nil && g.Tombstone != nil {
				continue
			}
			if r.Break == nil {
				rep.Verified++
				continue
			}
			rep.Broken++
			if len(rep.BrokenLinks) < maxReportedBreaks {
				rep.BrokenLinks = append(rep.BrokenLinks, r.Break)
			}
			if rep.First == nil {
				rep.First = r.Break
			}
		}
		rep.Bytes += sr.Bytes
		sr.Results = nil
		rep.Chains = append(rep.Chains, sr)
	}
	rep.OK = rep.First == nil && rep.Segments > 0
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := upd.apply(ctx, tx, rep.VerifiedAt); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "archive.verify",
			Object: selectionObject(sel), Detail: verifyDetail(rep)})
		return err
	})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify session %d: record: %w", sel.Session, err)
	}
	s.log.Info("archive verified", "session", sel.Session, "segments", rep.Segments, "broken", rep.Broken, "actor", actor)
	return rep, nil
}

// verifySlice checks one chain slice; its Results are in the order of
// sl.rows (each row's manifest, by seq).
func (s *Service) verifySlice(ctx context.Context, sl slice) (evidence.SliceReport, error) {
	ring, err := s.keyRing(ctx, sl.recorder)
	if err != nil {
		return evidence.SliceReport{}, err
	}
	links := make([]evidence.Link, len(sl.rows))
	for i, g := range sl.rows {
		key := g.Hash
		links[i] = evidence.Link{Name: "segment:" + key, Raw: g.ManifestRaw, KeyAt: g.AcceptedAt,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return s.store.Open(ctx, key) }}
		if g.Tombstone != nil {
			// Deleted after the retention period: the link stays, the
			// bytes are gone by design.
			links[i].ChainOnly, links[i].Open = true, nil
		}
	}
	sr, err := evidence.CheckSlice(ctx, sl.recorder, ring, links, manifest.DefaultTimeSlack)
	if err != nil {
		return evidence.SliceReport{}, err
	}
	// CheckSlice puts unparsable manifests first: put the results back in
	// row order, then add the index's own checks.
	byName := make(map[string]evidence.LinkResult, len(sr.Results))
	for _, r := range sr.Results {
		byName[r.Name] = r
	}
	for i, g := range sl.rows {
		r := byName["segment:"+g.Hash]
		if r.Break == nil {
			r.Break = indexMismatch(g, r)
		}
		if r.Break == nil && i == 0 {
			if r.Break, err = s.checkAnchor(ctx, g, r); err != nil {
				return evidence.SliceReport{}, err
			}
		}
		sr.Results[i] = r
	}
	sr.First = nil
	for _, r := range sr.Results {
		if r.Break != nil {
			sr.First = r.Break
			break
		}
	}
	return sr, nil
}

// indexMismatch compares an index row with the signed manifest it holds.
func indexMismatch(g Segment, r evidence.LinkResult) *evidence.Break {
	m := r.Manifest
	near := func(a, b time.Time) bool { d := a.Sub(b); return d < time.Microsecond && d > -time.Microsecond }
	var what string
	switch {
	case g.Seq != m.Seq:
		what = fmt.Sprintf("seq %d / %d", g.Seq, m.Seq)
	case g.Size != m.Size:
		what = fmt.Sprintf("size %d / %d", g.Size, m.Size)
	case strconv.FormatInt(g.Room, 10) != m.Room:
		what = fmt.Sprintf("room %d / %s", g.Room, m.Room)
	case !near(g.Start, m.Start) || !near(g.End, m.End):
		what = fmt.Sprintf("time %s–%s / %s–%s", g.Start.Format(time.RFC3339Nano), g.End.Format(time.RFC3339Nano),
			m.Start.Format(time.RFC3339Nano), m.End.Format(time.RFC3339Nano))
	case g.ManifestHash != r.Hash.String():
		what = fmt.Sprintf("manifest_hash %s / %s", g.ManifestHash, r.Hash)
	case m.Alg == manifest.SHA256 && g.Hash != m.SegmentHash.String():
		what = fmt.Sprintf("hash %s / %s", g.Hash, m.SegmentHash)
	case g.Truncated != m.Truncated:
		what = fmt.Sprintf("truncated %t / %t", g.Truncated, m.Truncated)
	default:
		return nil
	}
	b := evidence.NewBreak(evidence.KindIndexMismatch, "segment:"+g.Hash, "索引 / 清单 (index / manifest): "+what)
	b.Recorder, b.Seq, b.Segment = m.Recorder, m.Seq, m.Segment
	return b
}

// checkAnchor checks that the slice's first manifest links to the
// indexed manifest before it: its prev_hash is that manifest's hash, and
// no seq between is missing. A chain whose first accepted seq is g's has
// nothing before it to link to.
func (s *Service) checkAnchor(ctx context.Context, g Segment, r evidence.LinkResult) (*evidence.Break, error) {
	if g.Seq <= 1 {
		return nil, nil
	}
	var prevSeq int64
	var prevHash string
	err := s.db.QueryRow(ctx, `SELECT seq, manifest_hash FROM archive.segments WHERE recorder_id = $1 AND seq < $2
		ORDER BY seq DESC LIMIT 1`, g.Recorder, g.Seq).Scan(&prevSeq, &prevHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("anchor of %s seq %d: %w", g.Recorder, g.Seq, err)
	}
	brk := func(k evidence.Kind, detail string) *evidence.Break {
		b := evidence.NewBreak(k, "segment:"+g.Hash, detail)
		b.Recorder, b.Seq, b.Segment = r.Manifest.Recorder, r.Manifest.Seq, r.Manifest.Segment
		return b
	}
	switch {
	case prevSeq != g.Seq-1:
		return brk(evidence.KindSeqGap, fmt.Sprintf("索引中序号 %d 之前是 %d (the index holds seq %d before %d)", g.Seq, prevSeq, prevSeq, g.Seq)), nil
	case r.Manifest.Prev.String() != prevHash:
		return brk(evidence.KindPrevMismatch, fmt.Sprintf("应为 %s，实为 %s (expected %s, found %s)", prevHash, r.Manifest.Prev, prevHash, r.Manifest.Prev)), nil
	}
	return nil, nil
}

// selectionObject names a selection in the audit log.
func selectionObject(sel Selection) string {
	if sel.Session > 0 {
		return "session:" + strconv.FormatInt(sel.Session, 10)
	}
	return "archive:rooms"
}

// verifyDetail is the audit detail of a verification.
func verifyDetail(rep VerifyReport) map[string]any {
	chains := make([]map[string]any, 0, len(rep.Chains))
	for _, c := range rep.Chains {
		chains = append(chains, map[string]any{"recorder_id": c.Recorder, "first_seq": c.FirstSeq,
			"anchor_prev_hash": c.AnchorPrev, "last_seq": c.LastSeq, "last_manifest_hash": c.LastHash})
	}
	d := map[string]any{"session_id": rep.Session, "room_ids": rep.Rooms, "from": rep.From, "to": rep.To,
		"segments": rep.Segments, "verified": rep.Verified, "broken": rep.Broken, "deleted": rep.Deleted, "bytes": rep.Bytes,
		"chains": chains, "ok": rep.OK}
	if rep.First != nil {
		d["first_broken"] = rep.First
	}
	return d
}

// updates collects the verification state of each segment.
type updates struct {
	hashes, states, details []string
}

func (u *updates) add(g Segment, b *evidence.Break) {
	u.hashes = append(u.hashes, g.Hash)
	state, detail := StateVerified, ""
	if b != nil {
		state, detail = StateBroken, b.Error()
	}
	if g.Tombstone != nil {
		state = StateDeleted // a tombstone stays one; a broken link is in its detail
	}
	u.states, u.details = append(u.states, state), append(u.details, detail)
}

// apply writes the states, stamped at, in tx.
func (u *updates) apply(ctx context.Context, tx pgx.Tx, at time.Time) error {
	if len(u.hashes) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE archive.segments s SET verified_at = $1, state = v.state, verify_detail = v.detail
		FROM unnest($2::text[], $3::text[], $4::text[]) AS v(hash, state, detail)
		WHERE s.hash = v.hash AND (s.deleted_at IS NOT NULL) = (v.state = 'deleted')`,
		at, u.hashes, u.states, u.details)
	if err != nil {
		return fmt.Errorf("record verification: %w", err)
	}
	return nil
}
