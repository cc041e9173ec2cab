package expertpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// DrawRecord is a draw exported for offline verification (evalroomctl
// draw verify): the revealed seed, its commitment, and every round with
// its committed list, the list hash recorded in the audit log and the
// experts stored for it. See package draw for the algorithm.
type DrawRecord = draw.Record

// VerifyRecord checks an exported draw without a database: the seed
// against its commitment, every list against its stored and audited hash,
// and a replay of every round against the stored experts.
func VerifyRecord(rec DrawRecord) draw.Report { return draw.Verify(rec) }

// VerifyReport is the outcome of VerifyDraw.
type VerifyReport struct {
	DrawID int64 `json:"draw_id"`
	draw.Report
}

// VerifyDraw replays a draw whose seed has been revealed and reports the
// first mismatch, if any. Errors: ErrNotFound, ErrSealed (seed not
// revealed yet).
func (s *Service) VerifyDraw(ctx context.Context, drawID int64) (VerifyReport, error) {
	rec, err := s.ExportDrawRecord(ctx, drawID)
	if err != nil {
		return VerifyReport{DrawID: drawID}, err
	}
	return VerifyReport{DrawID: drawID, Report: draw.Verify(rec)}, nil
}

// ExportDrawRecord returns everything needed to verify a draw offline. It
// names the drawn experts by id, so it is available only after the seed
// was revealed (RevealSeed). Errors: ErrNotFound, ErrSealed.
func (s *Service) ExportDrawRecord(ctx context.Context, drawID int64) (DrawRecord, error) {
	rec := DrawRecord{DrawID: drawID}
	var seed []byte
	err := s.db.QueryRow(ctx, `SELECT state, seed_commitment, seed_revealed FROM expertpool.draws WHERE id = $1`, drawID).
		Scan(&rec.State, &rec.Commitment, &seed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return rec, fmt.Errorf("draw %d: %w", drawID, ErrNotFound)
	case err != nil:
		return rec, fmt.Errorf("draw %d: %w", drawID, err)
	case seed == nil:
		return rec, fmt.Errorf("draw %d seed not revealed: %w", drawID, ErrSealed)
	}
	rec.Seed = seed
	audited, err := s.auditedHashes(ctx, drawID)
	if err != nil {
		return rec, err
	}
	rows, err := s.db.Query(ctx, `SELECT r.id, r.quota_id, r.round, r.wanted, r.candidates, r.conflicts, r.list_hash, r.outcome,
			coalesce(array_agg(m.position ORDER BY m.position) FILTER (WHERE m.id IS NOT NULL), '{}'),
			coalesce(array_agg(m.expert_sealed ORDER BY m.position) FILTER (WHERE m.id IS NOT NULL), '{}')
		FROM expertpool.rounds r LEFT JOIN expertpool.members m ON m.round_id = r.id
		WHERE r.draw_id = $1 GROUP BY r.id ORDER BY r.round, r.quota_id`, drawID)
	if err != nil {
		return rec, fmt.Errorf("draw %d rounds: %w", drawID, err)
	}
	var roundID int64
	var rr draw.RoundRecord
	var flat []int64
	var positions []int
	var sealed [][]byte
	_, err = pgx.ForEachRow(rows, []any{&roundID, &rr.QuotaID, &rr.Round, &rr.Want, &rr.Candidates, &flat, &rr.ListHash, &rr.Outcome,
		&positions, &sealed}, func() error {
		r := rr
		var err error
		if r.Conflicts, err = draw.UnflattenPairs(flat); err != nil {
			return err
		}
		r.AuditedHash = audited[roundKey{r.QuotaID, r.Round}]
		r.Chosen = make([]int64, len(sealed))
		for i := range sealed {
			if r.Chosen[i], err = s.openMember(drawID, roundID, positions[i], sealed[i]); err != nil {
				return err
			}
		}
		rec.Rounds = append(rec.Rounds, r)
		return nil
	})
	if err != nil {
		return rec, fmt.Errorf("draw %d rounds: %w", drawID, err)
	}
	return rec, nil
}

type roundKey struct {
	quota int64
	round int
}

// auditedHashes collects, from the draw's audit entries, the list hash
// recorded for each round: "draw.commit" records round 0 of every quota;
// "draw.replace", "draw.replace_conflict" and "draw.short" record one
// later round each.
func (s *Service) auditedHashes(ctx context.Context, drawID int64) (map[roundKey][]byte, error) {
	out := map[roundKey][]byte{}
	var after int64
	for {
		entries, err := s.audit.List(ctx, audit.Filter{Object: drawObject(drawID), AfterSeq: after})
		if err != nil {
			return nil, fmt.Errorf("draw %d audit: %w", drawID, err)
		}
		for _, e := range entries {
			after = e.Seq
			var d struct {
				Rounds []roundAudit `json:"rounds"`
				Round  *roundAudit  `json:"round"`
			}
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				continue // not a round record
			}
			if d.Round != nil {
				d.Rounds = append(d.Rounds, *d.Round)
			}
			for _, r := range d.Rounds {
				if _, seen := out[roundKey{r.QuotaID, r.Round}]; !seen {
					out[roundKey{r.QuotaID, r.Round}] = r.ListHash
				}
			}
		}
		if len(entries) < 1000 {
			return out, nil
		}
	}
}
