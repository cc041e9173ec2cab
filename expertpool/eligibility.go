package expertpool

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Eligibility: who may be drawn for a quota. It is computed in two steps
// that share one definition of every rule, so the funnel (computed only
// when a quota cannot be filled) counts exactly what the draw applies.
//
//  1. SQL over the experts in the quota's specialty subtree: region
//     prefix, status (blacklisted, or suspended until the session's first
//     day or later) and unavailable days within the session's dates.
//  2. In Go, against sets loaded once per draw (scope): experts tied to a
//     party of the project (employer, former employer, consultancy,
//     declared relative of a principal), relatives of the committee, and
//     the blind keys of experts at their monthly cap, booked in an
//     overlapping session, or already drawn for this draw.
//
// The parties of a project are its tenderer and its bidders. The employer
// rule also covers their parent organisations (all ancestors through
// organisations.parent_code); the other party rules apply to the parties
// themselves, as the rules are written. Calendar dates are read in China
// Standard Time (see localDate).

// Rule names, in the order of the funnel.
const (
	ruleSpecialty         = "specialty"
	ruleRegion            = "region"
	ruleStatus            = "status"
	ruleUnavailable       = "unavailable"
	ruleEmployer          = "employer"
	ruleFormerEmployer    = "former_employer"
	ruleConsultancy       = "consultancy"
	rulePartyRelative     = "party_relative"
	ruleCommitteeRelative = "committee_relative"
	ruleMonthlyCap        = "monthly_cap"
	ruleBooked            = "booked"
	ruleDrawn             = "drawn"
)

// quotaSpec is one quota as eligibility sees it.
type quotaSpec struct {
	ID            int64
	VenueCode     string
	SpecialtyCode string
	RegionPrefix  string
	Count         int
	Reserves      int
}

// scope is what eligibility needs to know about one draw, loaded once.
type scope struct {
	drawID            int64
	start, end        time.Time
	firstDay, lastDay time.Time
	month             time.Time
	// partyRule maps an expert tied to a party to the first party rule
	// (in funnel order) that excludes them.
	partyRule map[int64]string
	// keyRule maps the blind key of an expert who is busy to the first
	// key rule (monthly cap, booked, drawn) that excludes them.
	keyRule map[string]string
	// specialtyCodes caches each quota specialty's subtree.
	specialtyCodes map[string][]string // code → its subtree
	keys           *keyer
}

// loadScope loads the parties of project and the busy keys for a session
// [start, end) of draw drawID (0 before the draw row exists).
func (s *Service) loadScope(ctx context.Context, tx pgx.Tx, projectID, drawID int64, start, end time.Time) (*scope, error) {
	sc := &scope{
		drawID: drawID, start: start, end: end,
		firstDay: localDate(start), lastDay: localDate(end.Add(-time.Nanosecond)), month: monthOf(start),
		partyRule: map[int64]string{}, keyRule: map[string]string{}, keys: s.newKeyer(),
		specialtyCodes: map[string][]string{},
	}
	var parties []string
	err := tx.QueryRow(ctx, `SELECT array_prepend(p.tenderer_code, coalesce(array_agg(b.org_code) FILTER (WHERE b.org_code IS NOT NULL), '{}'))
		FROM expertpool.projects p LEFT JOIN expertpool.project_bidders b ON b.project_id = p.id
		WHERE p.id = $1 GROUP BY p.id`, projectID).Scan(&parties)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("project %d: %w", projectID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("project %d parties: %w", projectID, err)
	}
	r := s.rules
	years := func(n int) time.Time { return sc.firstDay.AddDate(-n, 0, 0) }
	// One query, one row per (expert, rule); the first rule in funnel
	// order wins. Disabled rules are switched off by their flag.
	rows, err := tx.Query(ctx, `
		WITH RECURSIVE wide(code) AS (
			SELECT unnest($1::text[])
			UNION
			SELECT o.parent_code FROM expertpool.organisations o JOIN wide w ON o.code = w.code
			WHERE o.parent_code IS NOT NULL)
		SELECT e.id, 1 FROM expertpool.experts e WHERE $2 AND e.employer_code IN (SELECT code FROM wide)
		UNION ALL
		SELECT expert_id, 2 FROM expertpool.expert_employments
		WHERE $3 AND org_code = ANY($1) AND ended_on > $4
		UNION ALL
		SELECT expert_id, 3 FROM expertpool.expert_consultancies
		WHERE $5 AND org_code = ANY($1) AND started_on <= $7 AND (ended_on IS NULL OR ended_on > $6)
		UNION ALL
		SELECT expert_id, 4 FROM expertpool.expert_relatives WHERE $8 AND org_code = ANY($1)`,
		parties, r.EmployerIsParty, r.FormerEmployerYears > 0, years(r.FormerEmployerYears),
		r.ConsultancyYears > 0, years(r.ConsultancyYears), sc.lastDay, r.Relatives)
	if err != nil {
		return nil, fmt.Errorf("party ties of project %d: %w", projectID, err)
	}
	names := [...]string{1: ruleEmployer, 2: ruleFormerEmployer, 3: ruleConsultancy, 4: rulePartyRelative}
	var id int64
	var rule int
	if _, err := pgx.ForEachRow(rows, []any{&id, &rule}, func() error {
		if prev, ok := sc.partyRule[id]; !ok || ruleOrder(names[rule]) < ruleOrder(prev) {
			sc.partyRule[id] = names[rule]
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("party ties of project %d: %w", projectID, err)
	}
	if err := s.loadBusyKeys(ctx, tx, sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// loadBusyKeys fills sc.keyRule: experts at their monthly cap, booked in
// an overlapping session, and already drawn for this draw.
func (s *Service) loadBusyKeys(ctx context.Context, tx pgx.Tx, sc *scope) error {
	rows, err := tx.Query(ctx, `
		SELECT expert_key, 1 FROM expertpool.members
		WHERE $1 > 0 AND month = $2 AND state <> 'reserve'
		GROUP BY expert_key HAVING count(*) >= $1
		UNION ALL
		SELECT expert_key, 2 FROM expertpool.bookings WHERE during && tstzrange($3, $4)
		UNION ALL
		SELECT expert_key, 3 FROM expertpool.members WHERE draw_id = $5`,
		s.rules.MaxDrawsPerMonth, sc.month, sc.start, sc.end, sc.drawID)
	if err != nil {
		return fmt.Errorf("busy experts: %w", err)
	}
	names := [...]string{1: ruleMonthlyCap, 2: ruleBooked, 3: ruleDrawn}
	var key []byte
	var rule int
	_, err = pgx.ForEachRow(rows, []any{&key, &rule}, func() error {
		if prev, ok := sc.keyRule[string(key)]; !ok || ruleOrder(names[rule]) < ruleOrder(prev) {
			sc.keyRule[string(key)] = names[rule]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("busy experts: %w", err)
	}
	return nil
}

var funnelOrder = []string{ruleSpecialty, ruleRegion, ruleStatus, ruleUnavailable, ruleEmployer, ruleFormerEmployer,
	ruleConsultancy, rulePartyRelative, ruleCommitteeRelative, ruleMonthlyCap, ruleBooked, ruleDrawn}

func ruleOrder(rule string) int { return slices.Index(funnelOrder, rule) }

// subtree returns code and every specialty code below it.
func (sc *scope) subtree(ctx context.Context, tx pgx.Tx, code string) ([]string, error) {
	if codes, ok := sc.specialtyCodes[code]; ok {
		return codes, nil
	}
	rows, err := tx.Query(ctx, `SELECT code FROM expertpool.specialties WHERE starts_with(code, $1) ORDER BY code`, code)
	if err != nil {
		return nil, fmt.Errorf("specialty %s: %w", code, err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("specialty %s: %w", code, err)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("%w: 专业代码 %s 不存在", ErrInvalid, code)
	}
	sc.specialtyCodes[code] = codes
	return codes, nil
}

// regionBounds turns a region prefix into the inclusive range of 6-digit
// codes it covers, so the region index serves it under any collation.
func regionBounds(prefix string) (lo, hi string) {
	return prefix + strings.Repeat("0", 6-len(prefix)), prefix + strings.Repeat("9", 6-len(prefix))
}

// sqlChecks is the SQL part of eligibility, one boolean column each, in
// funnel order: region, status, unavailable. $1 specialty codes, $2/$3
// region bounds, $4/$5 the session's first and last day.
func (s *Service) sqlChecks() (region, status, available string) {
	region = `e.region BETWEEN $2 AND $3`
	status, available = `true`, `true`
	if s.rules.Status {
		status = `(e.status = 'active' OR (e.status = 'suspended' AND e.suspended_until < $4))`
		available = `NOT EXISTS (SELECT 1 FROM expertpool.expert_unavailable u
			WHERE u.expert_id = e.id AND u.day BETWEEN $4 AND $5)`
	}
	return region, status, available
}

const inSpecialty = `e.id IN (SELECT es.expert_id FROM expertpool.expert_specialties es WHERE es.specialty_code = ANY($1))`

// eligible returns the sorted ids of experts eligible for q, leaving out
// anyone in skip (relatives of the committee).
func (s *Service) eligible(ctx context.Context, tx pgx.Tx, sc *scope, q quotaSpec, skip map[int64]bool) ([]int64, error) {
	ids, err := s.sqlEligible(ctx, tx, sc, q)
	if err != nil {
		return nil, err
	}
	out := ids[:0]
	for _, id := range ids {
		if sc.partyRule[id] == "" && !skip[id] && sc.keyRule[sc.keys.key(id)] == "" {
			out = append(out, id)
		}
	}
	return out, nil
}

// sqlEligible returns the sorted ids of experts passing the SQL part of
// eligibility for q (specialty, region, status, unavailable days).
func (s *Service) sqlEligible(ctx context.Context, tx pgx.Tx, sc *scope, q quotaSpec) ([]int64, error) {
	codes, err := sc.subtree(ctx, tx, q.SpecialtyCode)
	if err != nil {
		return nil, err
	}
	region, status, available := s.sqlChecks()
	lo, hi := regionBounds(q.RegionPrefix)
	rows, err := tx.Query(ctx, `SELECT e.id FROM expertpool.experts e WHERE `+inSpecialty+
		` AND `+region+` AND `+status+` AND `+available+` AND $4::date <= $5::date ORDER BY e.id`,
		codes, lo, hi, sc.firstDay, sc.lastDay)
	if err != nil {
		return nil, fmt.Errorf("eligible for quota %d: %w", q.ID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("eligible for quota %d: %w", q.ID, err)
	}
	return ids, nil
}

// relativePairs returns the declared expert–expert relative pairs that
// touch any of ids (either direction), when the relatives rule is on.
func (s *Service) relativePairs(ctx context.Context, tx pgx.Tx, ids []int64) ([][2]int64, error) {
	if !s.rules.Relatives || len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT expert_id, relative_expert_id FROM expertpool.expert_relatives
		WHERE relative_expert_id IS NOT NULL AND (expert_id = ANY($1) OR relative_expert_id = ANY($1))`, ids)
	if err != nil {
		return nil, fmt.Errorf("relatives: %w", err)
	}
	var out [][2]int64
	var a, b int64
	if _, err := pgx.ForEachRow(rows, []any{&a, &b}, func() error {
		out = append(out, [2]int64{a, b})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("relatives: %w", err)
	}
	return out, nil
}
