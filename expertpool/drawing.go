package expertpool

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// maxDrawAttempts bounds how often CreateDraw starts over when a chosen
// expert was booked by a concurrent draw in the meantime.
const maxDrawAttempts = 4

// errBookingRace marks an attempt abandoned because the exclusion
// constraint on bookings refused a chosen expert.
var errBookingRace = errors.New("expert booked by a concurrent draw")

// CreateDraw draws the committee of one evaluation session: validates req,
// then in one transaction stores the draw, its venues and quotas, a fresh
// seed (sealed) and its commitment, each quota's eligible list (round 0),
// chooses jointly over all quotas (draw.Committee), stores the members
// sealed, books them, queues their invitations, and appends "draw.commit"
// (commitment and list hashes) and "draw.create" to the audit log.
//
// When a quota cannot be filled, nothing is booked or notified, but the
// attempt is kept as a draw in state "failed" with its commitment, lists
// and a "draw.fail" audit entry holding the funnel; the error is a
// *FunnelError wrapping ErrQuotaUnfilled. When a chosen expert turns out
// to be booked by a concurrent draw (the exclusion constraint refuses the
// booking), the attempt is kept in state "aborted" with a "draw.abort"
// entry and the draw starts over with a new seed, up to maxDrawAttempts
// times; then the error wraps ErrConflict. Errors: ErrInvalid (Chinese
// message naming the field), ErrNotFound (no such project).
func (s *Service) CreateDraw(ctx context.Context, actor string, req DrawRequest) (DrawResult, error) {
	if actor == "" {
		return DrawResult{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	// The rules are read once: every attempt applies and records the same.
	rules, err := s.currentRules(ctx)
	if err != nil {
		return DrawResult{}, err
	}
	if err := s.normalizeDrawRequest(ctx, &req, rules); err != nil {
		return DrawResult{}, err
	}
	var aborted []int64
	for attempt := 1; ; attempt++ {
		res, err := s.drawAttempt(ctx, actor, req, rules)
		if errors.Is(err, errBookingRace) {
			aborted = append(aborted, res.DrawID)
			if attempt < maxDrawAttempts {
				s.log.Info("draw attempt aborted by a concurrent booking; drawing again",
					"draw", res.DrawID, "session", req.SessionRef, "attempt", attempt)
				continue
			}
			res.AbortedDrawIDs = aborted
			return res, fmt.Errorf("draw for session %s: %d attempts collided with concurrent draws: %w",
				req.SessionRef, attempt, ErrConflict)
		}
		res.AbortedDrawIDs = aborted
		return res, err
	}
}

// drawPlan is one attempt in the making.
type drawPlan struct {
	req DrawRequest
	// rules are the recusal and committee rules the draw applies.
	rules      Rules
	id         int64
	seed       []byte
	quotas     []quotaSpec
	candidates [][]int64
	conflicts  [][]draw.Pair
	hashes     [][]byte
	roundIDs   []int64
	chosen     [][]int64
}

// drawAttempt makes one attempt in one transaction.
func (s *Service) drawAttempt(ctx context.Context, actor string, req DrawRequest, rules Rules) (DrawResult, error) {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return DrawResult{}, fmt.Errorf("begin draw: %w", err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // no-op after commit
	p := &drawPlan{req: req, rules: rules}
	if p.seed, err = draw.NewSeed(); err != nil {
		return DrawResult{}, err
	}
	if err := s.insertDraw(ctx, tx, actor, p); err != nil {
		return DrawResult{}, err
	}
	res := DrawResult{DrawID: p.id, State: "filled", Commitment: draw.Commitment(p.seed)}
	sc, err := s.loadScope(ctx, tx, p.rules, req.ProjectID, p.id, req.StartsAt, req.EndsAt, p.quotas)
	if err != nil {
		return res, err
	}
	if err := s.planRoundZero(ctx, tx, sc, p); err != nil {
		return res, err
	}
	for i, q := range p.quotas {
		res.Quotas = append(res.Quotas, QuotaResult{QuotaID: q.ID, VenueCode: q.VenueCode, SpecialtyCode: q.SpecialtyCode,
			RegionPrefix: q.RegionPrefix, Count: q.Count, Reserves: q.Reserves, Candidates: len(p.candidates[i]),
			ListHash: p.hashes[i], Drawn: len(p.chosen[i])})
	}
	commit := audit.Record{Actor: actor, Action: "draw.commit", Object: drawObject(p.id), Detail: s.commitDetail(p)}

	// A quota that cannot be filled: keep the attempt, book nothing.
	var unfilled []int
	for i, q := range p.quotas {
		if len(p.chosen[i]) < q.Count {
			unfilled = append(unfilled, i)
		}
	}
	if len(unfilled) > 0 {
		fe := &FunnelError{DrawID: p.id}
		for _, i := range unfilled {
			f, err := s.funnel(ctx, tx, sc, p.quotas[i], i, nil, len(p.chosen[i]))
			if err != nil {
				return res, err
			}
			fe.Funnels = append(fe.Funnels, f)
		}
		res.State = "failed"
		if err := s.closeAttempt(ctx, tx, p, "failed", draw.OutcomeUnfilled, commit,
			audit.Record{Actor: actor, Action: "draw.fail", Object: drawObject(p.id), Detail: fe}); err != nil {
			return res, err
		}
		return res, fe
	}

	if _, err := tx.Exec(ctx, "SAVEPOINT members"); err != nil {
		return res, fmt.Errorf("draw %d: %w", p.id, err)
	}
	notified, reserves, err := s.insertMembers(ctx, tx, p)
	if isBookingRace(err) {
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT members"); err != nil {
			return res, fmt.Errorf("draw %d: %w", p.id, err)
		}
		res.State = "aborted"
		if err := s.closeAttempt(ctx, tx, p, "aborted", draw.OutcomeConflict, commit,
			audit.Record{Actor: actor, Action: "draw.abort", Object: drawObject(p.id),
				Detail: map[string]any{"reason": "a chosen expert was booked by a concurrent draw; drawing again with a new seed"}}); err != nil {
			return res, err
		}
		return res, errBookingRace
	}
	if err != nil {
		return res, err
	}
	res.Notified, res.ReservesDrawn = notified, reserves
	if _, err := s.audit.Append(ctx, tx, commit); err != nil {
		return res, fmt.Errorf("draw %d: audit: %w", p.id, err)
	}
	if _, err := s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "draw.create", Object: drawObject(p.id),
		Detail: map[string]any{"state": "filled", "notified": notified, "reserves": reserves, "session_ref": req.SessionRef}}); err != nil {
		return res, fmt.Errorf("draw %d: audit: %w", p.id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		if isBookingRace(err) {
			return res, errBookingRace
		}
		return res, fmt.Errorf("commit draw %d: %w", p.id, err)
	}
	return res, nil
}

// closeAttempt ends an attempt that books nothing: marks its rounds and
// the draw, appends the commitment and the reason, and commits.
func (s *Service) closeAttempt(ctx context.Context, tx pgx.Tx, p *drawPlan, state, outcome string, commit, why audit.Record) error {
	if _, err := tx.Exec(ctx, `UPDATE expertpool.rounds SET outcome = $2 WHERE draw_id = $1`, p.id, outcome); err != nil {
		return fmt.Errorf("draw %d: %w", p.id, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE expertpool.draws SET state = $2 WHERE id = $1`, p.id, state); err != nil {
		return fmt.Errorf("draw %d: %w", p.id, err)
	}
	for _, r := range []audit.Record{commit, why} {
		if _, err := s.audit.Append(ctx, tx, r); err != nil {
			return fmt.Errorf("draw %d: audit: %w", p.id, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit draw %d: %w", p.id, err)
	}
	return nil
}

// isBookingRace reports whether err is the exclusion constraint on
// bookings (or a deadlock between two drawers) refusing a booking.
func isBookingRace(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23P01" || pe.Code == "40P01")
}

func drawObject(id int64) string { return "draw:" + strconv.FormatInt(id, 10) }

// roundAudit is how the audit log records one round's committed list.
type roundAudit struct {
	QuotaID    int64    `json:"quota_id"`
	Round      int      `json:"round"`
	Candidates int      `json:"candidates"`
	Conflicts  int      `json:"conflicts"`
	Want       int      `json:"want"`
	ListHash   draw.Hex `json:"list_hash"`
}

// commitDetail is the "draw.commit" audit detail: the seed commitment and
// every quota's list hash, nothing about who was chosen.
func (s *Service) commitDetail(p *drawPlan) map[string]any {
	rounds := make([]roundAudit, len(p.quotas))
	for i, q := range p.quotas {
		rounds[i] = roundAudit{QuotaID: q.ID, Round: 0, Candidates: len(p.candidates[i]), Conflicts: len(p.conflicts[i]),
			Want: q.Count + q.Reserves, ListHash: p.hashes[i]}
	}
	return map[string]any{
		"commitment": draw.Hex(draw.Commitment(p.seed)), "session_ref": p.req.SessionRef,
		"project_id": p.req.ProjectID, "starts_at": p.req.StartsAt.UTC(), "ends_at": p.req.EndsAt.UTC(),
		"rules": p.rules, "rounds": rounds,
	}
}

// insertDraw stores the draw row (with the sealed seed), its venues and
// its quotas, and fills p.id and p.quotas.
func (s *Service) insertDraw(ctx context.Context, tx pgx.Tx, actor string, p *drawPlan) error {
	req := p.req
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('expertpool.draws', 'id'))`).Scan(&p.id); err != nil {
		return fmt.Errorf("new draw id: %w", err)
	}
	rules, err := json.Marshal(p.rules)
	if err != nil {
		return fmt.Errorf("draw rules: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO expertpool.draws (id, project_id, session_ref, starts_at, ends_at, signin_opens_at,
		answer_minutes, rules, state, seed_commitment, seed_sealed, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'filled', $9, $10, $11, $12)`,
		p.id, req.ProjectID, req.SessionRef, req.StartsAt, req.EndsAt, req.SigninOpensAt, req.AnswerMinutes,
		string(rules), draw.Commitment(p.seed), s.keys.Seal(p.seed, seedAAD(p.id)), actor, s.now().UTC())
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23503" {
			return fmt.Errorf("project %d: %w", req.ProjectID, ErrNotFound)
		}
		return fmt.Errorf("insert draw: %w", err)
	}
	b := &pgx.Batch{}
	for _, v := range req.Venues {
		b.Queue(`INSERT INTO expertpool.draw_venues (draw_id, venue_code, name, address, region, is_main)
			VALUES ($1, $2, $3, $4, $5, $6)`, p.id, v.Code, v.Name, v.Address, v.Region, v.Main)
	}
	p.quotas = make([]quotaSpec, len(req.Quotas))
	for i, q := range req.Quotas {
		p.quotas[i] = quotaSpec{VenueCode: q.VenueCode, SpecialtyCode: q.SpecialtyCode, RegionPrefix: q.RegionPrefix,
			Count: q.Count, Reserves: q.Reserves}
		b.Queue(`INSERT INTO expertpool.quotas (draw_id, venue_code, specialty_code, region_prefix, count, reserves)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, p.id, q.VenueCode, q.SpecialtyCode, q.RegionPrefix, q.Count, q.Reserves).
			QueryRow(func(row pgx.Row) error { return row.Scan(&p.quotas[i].ID) })
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("draw %d venues and quotas: %w", p.id, err)
	}
	// Quota ids ascend in request order within the transaction; the joint
	// choice goes by ascending quota id.
	slices.SortFunc(p.quotas, func(a, b quotaSpec) int { return int(a.ID - b.ID) })
	return nil
}

// seedAAD binds a sealed seed to its draw.
func seedAAD(drawID int64) []byte {
	return []byte("expertpool/draw-seed:" + strconv.FormatInt(drawID, 10))
}

// planRoundZero computes every quota's eligible list and the conflict
// pairs among them, stores them as round 0, and makes the joint choice.
func (s *Service) planRoundZero(ctx context.Context, tx pgx.Tx, sc *scope, p *drawPlan) error {
	n := len(p.quotas)
	p.candidates, p.conflicts, p.hashes, p.roundIDs = make([][]int64, n), make([][]draw.Pair, n), make([][]byte, n), make([]int64, n)
	for i := range p.quotas {
		p.candidates[i] = sc.eligible(i, nil)
	}
	inAny := func(id int64) bool {
		for _, c := range p.candidates {
			if _, ok := slices.BinarySearch(c, id); ok {
				return true
			}
		}
		return false
	}
	pairs, err := s.relativePairs(ctx, tx, sc.rules, func(a, b int64) bool { return inAny(a) && inAny(b) })
	if err != nil {
		return err
	}
	var committee []draw.Pair
	for _, pr := range pairs {
		committee = append(committee, draw.Pair{A: pr[0], B: pr[1]})
	}
	committee = draw.NormalizePairs(committee)
	pools := make([]draw.Pool, n)
	b := &pgx.Batch{}
	for i, q := range p.quotas {
		// A round stores the pairs that touch its own candidates.
		for _, pr := range committee {
			if _, ok := slices.BinarySearch(p.candidates[i], pr.A); ok {
				p.conflicts[i] = append(p.conflicts[i], pr)
			} else if _, ok := slices.BinarySearch(p.candidates[i], pr.B); ok {
				p.conflicts[i] = append(p.conflicts[i], pr)
			}
		}
		h, err := draw.ListHash(p.candidates[i], p.conflicts[i])
		if err != nil {
			return fmt.Errorf("quota %d: %w", q.ID, err)
		}
		p.hashes[i] = h
		pools[i] = draw.Pool{QuotaID: q.ID, Round: 0, Candidates: p.candidates[i], Want: q.Count + q.Reserves}
		b.Queue(`INSERT INTO expertpool.rounds (draw_id, quota_id, round, candidates, conflicts, list_hash, wanted, created_at)
			VALUES ($1, $2, 0, $3, $4, $5, $6, $7) RETURNING id`,
			p.id, q.ID, p.candidates[i], draw.FlattenPairs(p.conflicts[i]), h, q.Count+q.Reserves, s.now().UTC()).
			QueryRow(func(row pgx.Row) error { return row.Scan(&p.roundIDs[i]) })
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("draw %d rounds: %w", p.id, err)
	}
	chosen, err := draw.Committee(p.seed, p.id, pools, committee, nil)
	if err != nil {
		return fmt.Errorf("draw %d: %w", p.id, err)
	}
	p.chosen = chosen
	return nil
}

// insertMembers stores the chosen experts sealed, books the members (not
// the reserves) and queues their invitations. A booking refused by the
// exclusion constraint comes back as the driver error (see
// isBookingRace).
func (s *Service) insertMembers(ctx context.Context, tx pgx.Tx, p *drawPlan) (notified, reserves int, err error) {
	now := s.now().UTC()
	deadline := now.Add(time.Duration(p.req.AnswerMinutes) * time.Minute)
	month := monthOf(p.req.StartsAt)
	type booking struct {
		member int64
		key    string
	}
	var books []booking
	b := &pgx.Batch{}
	for i, q := range p.quotas {
		for pos, expert := range p.chosen[i] {
			isReserve := pos >= q.Count
			state, dl := "notified", &deadline
			if isReserve {
				state, dl = "reserve", nil
				reserves++
			} else {
				notified++
			}
			key := string(s.expertKey(expert))
			b.Queue(`INSERT INTO expertpool.members (draw_id, quota_id, round_id, position, reserve, expert_sealed, expert_key,
				month, state, deadline, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
				p.id, q.ID, p.roundIDs[i], pos, isReserve, s.sealMember(p.id, p.roundIDs[i], pos, expert), []byte(key),
				month, state, dl, now).
				QueryRow(func(row pgx.Row) error {
					var id int64
					if err := row.Scan(&id); err != nil {
						return err
					}
					if !isReserve {
						books = append(books, booking{member: id, key: key})
					}
					return nil
				})
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, 0, fmt.Errorf("draw %d members: %w", p.id, err)
	}
	// Book in blind-key order, so concurrent draws take the exclusion
	// constraint's locks in one order and do not deadlock.
	slices.SortFunc(books, func(a, b booking) int { return cmp.Compare(a.key, b.key) })
	members := make([]int64, len(books))
	bkeys := make([][]byte, len(books))
	for i, bk := range books {
		members[i], bkeys[i] = bk.member, []byte(bk.key)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO expertpool.bookings (member_id, expert_key, during)
		SELECT m, k, tstzrange($3, $4) FROM unnest($1::bigint[], $2::bytea[]) WITH ORDINALITY AS t(m, k, o) ORDER BY o`,
		members, bkeys, p.req.StartsAt, p.req.EndsAt); err != nil {
		return 0, 0, fmt.Errorf("draw %d bookings: %w", p.id, err)
	}
	slices.Sort(members)
	for _, m := range members {
		if err := s.enqueue(ctx, tx, m, KindInvite); err != nil {
			return 0, 0, err
		}
	}
	return notified, reserves, nil
}
