package expertpool

import (
	"context"
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
//  1. The experts of the quota's specialty subtree in its region range,
//     from draw_index (migration 0011) with an index-only range scan, kept
//     in memory while draw_index_version does not move (draw_cache.go).
//  2. In Go, against sets loaded once per draw in one round trip (scope):
//     experts who are not active (blacklisted, or suspended until the
//     session's first day or later), unavailable on a day of the session,
//     or tied to a party of the project (employer, former employer,
//     consultancy, declared relative of a principal); experts at their
//     monthly cap, booked in an overlapping session, or already drawn for
//     this draw (read as blind keys and turned into ids through the
//     in-memory key directory); and relatives of the committee.
//
// The parties of a project are its tenderer and its bidders. The employer
// rule also covers their parent organisations (all ancestors through
// organisations.parent_code); the other party rules apply to the parties
// themselves, as the rules are written. Calendar dates are read in China
// Standard Time (see localDate). The monthly cap counts members in every
// state but "reserve" (a reserve never called up was not drawn to sit);
// it is checked, not enforced by a constraint, so two draws at the same
// instant could each take an expert's last draw of the month.

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
	drawID int64
	// rules are the recusal rules the draw applies.
	rules             Rules
	start, end        time.Time
	firstDay, lastDay time.Time
	month             time.Time
	// inQuota holds, per quota asked about, the sorted ids of the experts
	// of its specialty subtree in its region range, before any other rule.
	inQuota [][]int64
	// idRule maps an excluded expert to the first rule (in funnel order,
	// committee relatives aside) that excludes them.
	idRule map[int64]string
}

// loadScope loads, in one round trip, the experts of each quota's
// specialty and region, the experts excluded by status, unavailability
// and ties to the parties of project, and the busy keys, for a session
// [start, end) of draw drawID under rules.
func (s *Service) loadScope(ctx context.Context, tx pgx.Tx, rules Rules, projectID, drawID int64, start, end time.Time, quotas []quotaSpec) (*scope, error) {
	sc := &scope{
		drawID: drawID, rules: rules, start: start, end: end,
		firstDay: localDate(start), lastDay: localDate(end.Add(-time.Nanosecond)), month: monthOf(start),
		inQuota: make([][]int64, len(quotas)),
		idRule:  map[int64]string{},
	}
	b := &pgx.Batch{}
	var version int64
	b.Queue(`SELECT version FROM expertpool.draw_index_version`).QueryRow(func(row pgx.Row) error { return row.Scan(&version) })
	s.queueExclusions(b, sc, projectID)
	var busyKeys [][]byte
	var busyRules []string
	s.queueBusyKeys(b, sc, func(key []byte, rule string) {
		busyKeys, busyRules = append(busyKeys, key), append(busyRules, rule)
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("eligibility for project %d: %w", projectID, err)
	}
	// The experts of each quota's specialty and region: from memory while
	// draw_index has not changed, else read (and remembered).
	var missing []quotaSpec
	var at []int
	for i, q := range quotas {
		if ids, ok := s.drawCache.quotas.get(quotaListKey{q.SpecialtyCode, q.RegionPrefix}, version); ok {
			sc.inQuota[i] = ids
		} else {
			missing, at = append(missing, q), append(at, i)
		}
	}
	if len(missing) > 0 {
		lists := make([][]int64, len(missing))
		b := &pgx.Batch{}
		queueInQuota(b, missing, lists)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("eligibility for project %d: %w", projectID, err)
		}
		for j, i := range at {
			sc.inQuota[i] = lists[j]
			s.drawCache.quotas.put(quotaListKey{missing[j].SpecialtyCode, missing[j].RegionPrefix}, version, lists[j])
		}
	}
	ids, err := s.expertIDs(ctx, tx, busyKeys, sc.inQuota)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		sc.exclude(id, busyRules[i])
	}
	return sc, nil
}

// exclude records that rule excludes expert id, unless an earlier rule in
// funnel order already does.
func (sc *scope) exclude(id int64, rule string) {
	if prev, ok := sc.idRule[id]; !ok || ruleOrder(rule) < ruleOrder(prev) {
		sc.idRule[id] = rule
	}
}

// queueInQuota reads into lists, for every quota, the sorted ids of the
// experts of its specialty subtree in its region range from draw_index,
// as one array each (far less to decode than thousands of rows).
func queueInQuota(b *pgx.Batch, quotas []quotaSpec, lists [][]int64) {
	if len(quotas) == 0 {
		return
	}
	codes, los, his := make([]string, len(quotas)), make([]string, len(quotas)), make([]string, len(quotas))
	for i, q := range quotas {
		codes[i] = q.SpecialtyCode
		los[i], his[i] = regionBounds(q.RegionPrefix)
	}
	// Index order is (specialty, region, id): sorting and removing the
	// duplicates of experts in two subcategories is cheaper here.
	b.Queue(`SELECT q.i, ARRAY(SELECT d.expert_id FROM expertpool.draw_index d
			WHERE d.specialty_code IN (SELECT c.code FROM expertpool.specialties c WHERE starts_with(c.code, q.code))
			  AND d.region BETWEEN q.lo AND q.hi)
		FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS q(code, lo, hi, i)`, codes, los, his).
		Query(func(rows pgx.Rows) error {
			var i int
			var ids []int64
			_, err := pgx.ForEachRow(rows, []any{&i, &ids}, func() error {
				slices.Sort(ids)
				lists[i-1] = slices.Compact(ids)
				ids = nil
				return nil
			})
			return err
		})
}

// queueExclusions reads one row per (expert, rule) for the rules decided
// by expert id; the first rule in funnel order wins. Disabled rules are
// switched off by their flag.
func (s *Service) queueExclusions(b *pgx.Batch, sc *scope, projectID int64) {
	r := sc.rules
	years := func(n int) time.Time { return sc.firstDay.AddDate(-n, 0, 0) }
	b.Queue(`WITH RECURSIVE parties AS (
			SELECT p.tenderer_code AS code FROM expertpool.projects p WHERE p.id = $10
			UNION SELECT b.org_code FROM expertpool.project_bidders b WHERE b.project_id = $10),
		wide(code) AS (
			SELECT code FROM parties
			UNION
			SELECT o.parent_code FROM expertpool.organisations o JOIN wide w ON o.code = w.code
			WHERE o.parent_code IS NOT NULL)
		SELECT id, 1 FROM expertpool.experts
		WHERE $1 AND status <> 'active' AND (status <> 'suspended' OR suspended_until >= $2)
		UNION ALL
		SELECT expert_id, 2 FROM expertpool.expert_unavailable WHERE $1 AND day BETWEEN $2 AND $3
		UNION ALL
		SELECT id, 3 FROM expertpool.experts WHERE $4 AND employer_code = ANY(ARRAY(SELECT code FROM wide))
		UNION ALL
		SELECT expert_id, 4 FROM expertpool.expert_employments
		WHERE $5 AND org_code = ANY(ARRAY(SELECT code FROM parties)) AND ended_on > $6
		UNION ALL
		SELECT expert_id, 5 FROM expertpool.expert_consultancies
		WHERE $7 AND org_code = ANY(ARRAY(SELECT code FROM parties)) AND started_on <= $3 AND (ended_on IS NULL OR ended_on > $8)
		UNION ALL
		SELECT expert_id, 6 FROM expertpool.expert_relatives WHERE $9 AND org_code = ANY(ARRAY(SELECT code FROM parties))`,
		r.Status, sc.firstDay, sc.lastDay, r.EmployerIsParty,
		r.FormerEmployerYears > 0, years(r.FormerEmployerYears),
		r.ConsultancyYears > 0, years(r.ConsultancyYears), r.Relatives, projectID).
		Query(func(rows pgx.Rows) error {
			names := [...]string{1: ruleStatus, 2: ruleUnavailable, 3: ruleEmployer, 4: ruleFormerEmployer, 5: ruleConsultancy, 6: rulePartyRelative}
			var id int64
			var rule int
			_, err := pgx.ForEachRow(rows, []any{&id, &rule}, func() error {
				sc.exclude(id, names[rule])
				return nil
			})
			return err
		})
}

// queueBusyKeys reads the blind keys of experts at their monthly cap,
// booked in an overlapping session, or already drawn for this draw, and
// hands each with its rule to add.
func (s *Service) queueBusyKeys(b *pgx.Batch, sc *scope, add func(key []byte, rule string)) {
	b.Queue(`
		SELECT expert_key, 1 FROM expertpool.members
		WHERE $1 > 0 AND month = $2 AND state <> 'reserve'
		GROUP BY expert_key HAVING count(*) >= $1
		UNION ALL
		SELECT expert_key, 2 FROM expertpool.bookings WHERE during && tstzrange($3, $4)
		UNION ALL
		SELECT expert_key, 3 FROM expertpool.members WHERE draw_id = $5`,
		sc.rules.MaxDrawsPerMonth, sc.month, sc.start, sc.end, sc.drawID).
		Query(func(rows pgx.Rows) error {
			names := [...]string{1: ruleMonthlyCap, 2: ruleBooked, 3: ruleDrawn}
			var key []byte
			var rule int
			_, err := pgx.ForEachRow(rows, []any{&key, &rule}, func() error {
				add(append([]byte(nil), key...), names[rule])
				return nil
			})
			return err
		})
}

var funnelOrder = []string{ruleSpecialty, ruleRegion, ruleStatus, ruleUnavailable, ruleEmployer, ruleFormerEmployer,
	ruleConsultancy, rulePartyRelative, ruleCommitteeRelative, ruleMonthlyCap, ruleBooked, ruleDrawn}

func ruleOrder(rule string) int { return slices.Index(funnelOrder, rule) }

// regionBounds turns a region prefix into the inclusive range of 6-digit
// codes it covers, so the region index serves it under any collation.
func regionBounds(prefix string) (lo, hi string) {
	return prefix + strings.Repeat("0", 6-len(prefix)), prefix + strings.Repeat("9", 6-len(prefix))
}

// eligible returns the sorted ids of experts eligible for the i-th quota
// of the scope, leaving out anyone in skip (relatives of the committee).
func (sc *scope) eligible(i int, skip map[int64]bool) []int64 {
	out := make([]int64, 0, len(sc.inQuota[i]))
	for _, id := range sc.inQuota[i] {
		if sc.idRule[id] == "" && !skip[id] {
			out = append(out, id)
		}
	}
	return out
}

// relativePairs returns the declared expert–expert relative pairs that
// keep accepts, when the relatives rule of r is on. Such declarations are
// few, so all are read and filtered here.
func (s *Service) relativePairs(ctx context.Context, tx pgx.Tx, r Rules, keep func(a, b int64) bool) ([][2]int64, error) {
	if !r.Relatives {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT expert_id, relative_expert_id FROM expertpool.expert_relatives
		WHERE relative_expert_id IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("relatives: %w", err)
	}
	var out [][2]int64
	var a, b int64
	if _, err := pgx.ForEachRow(rows, []any{&a, &b}, func() error {
		if keep(a, b) {
			out = append(out, [2]int64{a, b})
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("relatives: %w", err)
	}
	return out, nil
}
