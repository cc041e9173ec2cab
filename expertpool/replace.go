package expertpool

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// maxReplaceRounds bounds the rounds one replacement may take when chosen
// experts keep being booked by concurrent draws.
const maxReplaceRounds = 5

// replaceInTx draws a replacement for member, which the caller has just
// released (declined, no answer, recused) inside tx, for the same quota
// under the same rules, never someone already drawn for this draw. It
// books and notifies the replacement in tx and returns its member id, or 0
// when no candidate is left (then staff are alerted through the audit log
// and the draw's state becomes "short").
//
// Reserves come first: the quota's remaining reserves, in the order they
// were drawn, are promoted before anything new is drawn, because they
// were chosen by the committed round 0 already (the promotion is not a
// new random choice). A reserve who meanwhile became ineligible (status,
// party ties, monthly cap, or booked elsewhere) is cancelled and skipped.
// Without a usable reserve, the next round of the quota is drawn with the
// draw's seed and the round's context, from the eligible experts minus
// everyone ever drawn for this draw and the relatives of its committee.
// Audit: "draw.replace" (with the round's list hash), "draw.short" when
// nobody is left.
func (s *Service) replaceInTx(ctx context.Context, tx pgx.Tx, memberID int64, actor string) (int64, error) {
	rp, err := s.loadReplacement(ctx, tx, memberID)
	if err != nil {
		return 0, err
	}
	var records []audit.Record
	appendAll := func() error {
		for _, r := range records {
			if _, err := s.audit.Append(ctx, tx, r); err != nil {
				return fmt.Errorf("replace member %d: audit: %w", memberID, err)
			}
		}
		return nil
	}
	sc, err := s.loadScope(ctx, tx, rp.rules, rp.projectID, rp.drawID, rp.start, rp.end, []quotaSpec{rp.quota})
	if err != nil {
		return 0, err
	}
	newID, recs, err := s.promoteReserve(ctx, tx, sc, rp, actor)
	records = append(records, recs...)
	if err != nil {
		return 0, err
	}
	if newID != 0 {
		return newID, appendAll()
	}
	skip, err := s.committeeRelatives(ctx, tx, sc.rules, rp.drawID)
	if err != nil {
		return 0, err
	}
	for range maxReplaceRounds {
		rp.round++
		ids := sc.eligible(0, skip)
		h, err := draw.ListHash(ids, nil)
		if err != nil {
			return 0, err
		}
		chosen, err := draw.Choose(rp.seed, draw.Context(rp.drawID, rp.quota.ID, rp.round), ids, 1, nil, nil)
		if err != nil {
			return 0, fmt.Errorf("replace member %d: %w", memberID, err)
		}
		outcome := draw.OutcomeChosen
		if len(chosen) == 0 {
			outcome = draw.OutcomeUnfilled
		}
		var roundID int64
		if err := tx.QueryRow(ctx, `INSERT INTO expertpool.rounds (draw_id, quota_id, round, candidates, conflicts, list_hash,
			wanted, outcome, created_at) VALUES ($1, $2, $3, $4, '{}', $5, 1, $6, $7) RETURNING id`,
			rp.drawID, rp.quota.ID, rp.round, ids, h, outcome, s.now().UTC()).Scan(&roundID); err != nil {
			return 0, fmt.Errorf("replace member %d: round: %w", memberID, err)
		}
		detail := map[string]any{"released_member_id": memberID, "quota_id": rp.quota.ID, "venue_code": rp.quota.VenueCode,
			"round": roundAudit{QuotaID: rp.quota.ID, Round: rp.round, Candidates: len(ids), Want: 1, ListHash: h}}
		if len(chosen) == 0 {
			if _, err := tx.Exec(ctx, `UPDATE expertpool.draws SET state = 'short' WHERE id = $1`, rp.drawID); err != nil {
				return 0, fmt.Errorf("replace member %d: %w", memberID, err)
			}
			detail["alert"] = "候补专家已用尽，名额无法补足，请工作人员处理"
			records = append(records, audit.Record{Actor: actor, Action: "draw.short", Object: drawObject(rp.drawID), Detail: detail})
			s.log.Warn("no replacement left", "draw", rp.drawID, "quota", rp.quota.ID, "released_member", memberID)
			return 0, appendAll()
		}
		newID, err := s.bookMember(ctx, tx, rp, roundID, chosen[0])
		if isBookingRace(err) {
			if _, err := tx.Exec(ctx, `UPDATE expertpool.rounds SET outcome = 'conflict' WHERE id = $1`, roundID); err != nil {
				return 0, fmt.Errorf("replace member %d: %w", memberID, err)
			}
			detail["reason"] = "the chosen expert was booked by a concurrent draw; drawing again"
			records = append(records, audit.Record{Actor: actor, Action: "draw.replace_conflict", Object: drawObject(rp.drawID), Detail: detail})
			sc.exclude(chosen[0], ruleBooked)
			continue
		}
		if err != nil {
			return 0, err
		}
		detail["member_id"] = newID
		records = append(records, audit.Record{Actor: actor, Action: "draw.replace", Object: drawObject(rp.drawID), Detail: detail})
		return newID, appendAll()
	}
	return 0, fmt.Errorf("replace member %d: %d rounds collided with concurrent draws: %w", memberID, maxReplaceRounds, ErrConflict)
}

// replacement is what a replacement needs to know about the released
// member's draw and quota.
type replacement struct {
	drawID, projectID int64
	start, end        time.Time
	answerMinutes     int
	seed              []byte
	quota             quotaSpec
	round             int // the quota's last round so far
	// rules are the rules stored with the draw, which its replacements
	// apply too.
	rules Rules
}

func (s *Service) loadReplacement(ctx context.Context, tx pgx.Tx, memberID int64) (*replacement, error) {
	rp := &replacement{}
	var sealed, rules []byte
	err := tx.QueryRow(ctx, `SELECT d.id, d.project_id, d.starts_at, d.ends_at, d.answer_minutes, d.seed_sealed, d.rules,
			q.id, q.venue_code, q.specialty_code, q.region_prefix, q.count, q.reserves,
			(SELECT max(round) FROM expertpool.rounds r WHERE r.quota_id = q.id)
		FROM expertpool.members m JOIN expertpool.quotas q ON q.id = m.quota_id JOIN expertpool.draws d ON d.id = m.draw_id
		WHERE m.id = $1 FOR UPDATE OF d`, memberID).
		Scan(&rp.drawID, &rp.projectID, &rp.start, &rp.end, &rp.answerMinutes, &sealed, &rules,
			&rp.quota.ID, &rp.quota.VenueCode, &rp.quota.SpecialtyCode, &rp.quota.RegionPrefix, &rp.quota.Count, &rp.quota.Reserves, &rp.round)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("member %d: %w", memberID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("member %d: %w", memberID, err)
	}
	if rp.rules, err = s.decodeRules(rules); err != nil {
		return nil, fmt.Errorf("draw %d: %w", rp.drawID, err)
	}
	if rp.seed, err = s.keys.Open(sealed, seedAAD(rp.drawID)); err != nil {
		return nil, fmt.Errorf("draw %d seed: %w", rp.drawID, err)
	}
	return rp, nil
}

// promoteReserve promotes the quota's first usable reserve, if any, and
// returns its member id (0 when none) and the audit records to append.
func (s *Service) promoteReserve(ctx context.Context, tx pgx.Tx, sc *scope, rp *replacement, actor string) (int64, []audit.Record, error) {
	rows, err := tx.Query(ctx, `SELECT m.id, m.round_id, m.position, m.expert_sealed FROM expertpool.members m
		JOIN expertpool.rounds r ON r.id = m.round_id
		WHERE m.quota_id = $1 AND m.state = 'reserve' ORDER BY r.round, m.position`, rp.quota.ID)
	if err != nil {
		return 0, nil, fmt.Errorf("reserves of quota %d: %w", rp.quota.ID, err)
	}
	type reserve struct {
		id, round int64
		pos       int
		sealed    []byte
	}
	var reserves []reserve
	var r reserve
	if _, err := pgx.ForEachRow(rows, []any{&r.id, &r.round, &r.pos, &r.sealed}, func() error {
		reserves = append(reserves, r)
		return nil
	}); err != nil {
		return 0, nil, fmt.Errorf("reserves of quota %d: %w", rp.quota.ID, err)
	}
	if len(reserves) == 0 {
		return 0, nil, nil
	}
	ok := sc.inQuota[0]
	var records []audit.Record
	for _, r := range reserves {
		expert, err := s.openMember(rp.drawID, r.round, r.pos, r.sealed)
		if err != nil {
			return 0, nil, err
		}
		_, inList := slices.BinarySearch(ok, expert)
		usable := inList && (sc.idRule[expert] == "" || sc.idRule[expert] == ruleDrawn)
		if usable {
			if _, err := tx.Exec(ctx, "SAVEPOINT promote"); err != nil {
				return 0, nil, fmt.Errorf("promote reserve %d: %w", r.id, err)
			}
			err := s.promote(ctx, tx, rp, r.id)
			if err == nil {
				records = append(records, audit.Record{Actor: actor, Action: "draw.replace", Object: drawObject(rp.drawID),
					Detail: map[string]any{"quota_id": rp.quota.ID, "venue_code": rp.quota.VenueCode, "member_id": r.id, "promoted_reserve": true}})
				return r.id, records, nil
			}
			if !isBookingRace(err) {
				return 0, nil, err
			}
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT promote"); err != nil {
				return 0, nil, fmt.Errorf("promote reserve %d: %w", r.id, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE expertpool.members SET state = 'cancelled', decline_reason = '候补时已不符合抽取条件' WHERE id = $1`, r.id); err != nil {
			return 0, nil, fmt.Errorf("cancel reserve %d: %w", r.id, err)
		}
		records = append(records, audit.Record{Actor: actor, Action: "draw.reserve_skipped", Object: drawObject(rp.drawID),
			Detail: map[string]any{"quota_id": rp.quota.ID, "member_id": r.id}})
	}
	return 0, records, nil
}

// promote turns reserve member into a notified, booked member.
func (s *Service) promote(ctx context.Context, tx pgx.Tx, rp *replacement, member int64) error {
	deadline := s.now().UTC().Add(time.Duration(rp.answerMinutes) * time.Minute)
	if _, err := tx.Exec(ctx, `UPDATE expertpool.members SET state = 'notified', deadline = $2 WHERE id = $1`, member, deadline); err != nil {
		return fmt.Errorf("promote reserve %d: %w", member, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO expertpool.bookings (member_id, expert_key, during)
		SELECT id, expert_key, tstzrange($2, $3) FROM expertpool.members WHERE id = $1`, member, rp.start, rp.end); err != nil {
		return fmt.Errorf("book reserve %d: %w", member, err)
	}
	return s.enqueue(ctx, tx, member, KindInvite)
}

// bookMember stores a newly chosen expert as the notified member at
// position 0 of the round, books and invites them, inside a savepoint so a refused booking
// leaves tx usable (the error is the driver's, see isBookingRace).
func (s *Service) bookMember(ctx context.Context, tx pgx.Tx, rp *replacement, roundID int64, expert int64) (int64, error) {
	if _, err := tx.Exec(ctx, "SAVEPOINT book"); err != nil {
		return 0, fmt.Errorf("book: %w", err)
	}
	now := s.now().UTC()
	deadline := now.Add(time.Duration(rp.answerMinutes) * time.Minute)
	key := s.expertKey(expert)
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO expertpool.members (draw_id, quota_id, round_id, position, reserve, expert_sealed, expert_key,
		month, state, deadline, created_at) VALUES ($1, $2, $3, 0, false, $4, $5, $6, 'notified', $7, $8) RETURNING id`,
		rp.drawID, rp.quota.ID, roundID, s.sealMember(rp.drawID, roundID, 0, expert), key,
		monthOf(rp.start), deadline, now).Scan(&id)
	if err == nil {
		_, err = tx.Exec(ctx, `INSERT INTO expertpool.bookings (member_id, expert_key, during) VALUES ($1, $2, tstzrange($3, $4))`,
			id, key, rp.start, rp.end)
	}
	if err != nil {
		if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT book"); rerr != nil {
			return 0, fmt.Errorf("book: %w", rerr)
		}
		if isBookingRace(err) {
			return 0, err
		}
		return 0, fmt.Errorf("book replacement: %w", err)
	}
	if err := s.enqueue(ctx, tx, id, KindInvite); err != nil {
		return 0, err
	}
	return id, nil
}

// committeeRelatives returns the declared relatives of the draw's current
// committee (notified, confirmed and reserve members), who may not join it
// when the relatives rule of r is on.
func (s *Service) committeeRelatives(ctx context.Context, tx pgx.Tx, r Rules, drawID int64) (map[int64]bool, error) {
	if !r.Relatives {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT round_id, position, expert_sealed FROM expertpool.members
		WHERE draw_id = $1 AND state IN ('notified', 'confirmed', 'reserve')`, drawID)
	if err != nil {
		return nil, fmt.Errorf("committee of draw %d: %w", drawID, err)
	}
	var committee []int64
	var round int64
	var pos int
	var sealed []byte
	if _, err := pgx.ForEachRow(rows, []any{&round, &pos, &sealed}, func() error {
		id, err := s.openMember(drawID, round, pos, sealed)
		committee = append(committee, id)
		return err
	}); err != nil {
		return nil, fmt.Errorf("committee of draw %d: %w", drawID, err)
	}
	in := map[int64]bool{}
	for _, id := range committee {
		in[id] = true
	}
	pairs, err := s.relativePairs(ctx, tx, r, func(a, b int64) bool { return in[a] || in[b] })
	if err != nil {
		return nil, err
	}
	skip := map[int64]bool{}
	for _, p := range pairs {
		if in[p[0]] {
			skip[p[1]] = true
		}
		if in[p[1]] {
			skip[p[0]] = true
		}
	}
	return skip, nil
}
