package expertpool

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// FunnelStep is one rule of a funnel: how many experts were left after it
// and how many it excluded.
type FunnelStep struct {
	// Rule is the rule's name (specialty, region, status, unavailable,
	// employer, former_employer, consultancy, party_relative,
	// committee_relative, monthly_cap, booked, drawn, committee).
	Rule string `json:"rule"`
	// Label says in Chinese what the remaining experts satisfy.
	Label     string `json:"label"`
	Remaining int    `json:"remaining"`
	Excluded  int    `json:"excluded"`
}

// Funnel explains why a quota could not be filled: the experts of its
// specialty, narrowed rule by rule, in order, down to the eligible and
// then to the chosen.
type Funnel struct {
	QuotaID       int64        `json:"quota_id"`
	VenueCode     string       `json:"venue_code"`
	SpecialtyCode string       `json:"specialty_code"`
	RegionPrefix  string       `json:"region_prefix"`
	Needed        int          `json:"needed"`
	Steps         []FunnelStep `json:"steps"`
}

// FunnelError is returned (wrapping ErrQuotaUnfilled) when some quota of a
// draw cannot be filled. Nothing was booked; the attempt is recorded as a
// failed draw with its audit trail.
type FunnelError struct {
	DrawID  int64    `json:"draw_id"`
	Funnels []Funnel `json:"funnels"`
}

// Error names the unfilled quotas in Chinese.
func (e *FunnelError) Error() string {
	var b strings.Builder
	b.WriteString(ErrQuotaUnfilled.Error() + ":")
	for i, f := range e.Funnels {
		if i > 0 {
			b.WriteString("；")
		}
		got := 0
		if n := len(f.Steps); n > 0 {
			got = f.Steps[n-1].Remaining
		}
		fmt.Fprintf(&b, " 场地%s 专业%s 地区%s 需要%d人，仅%d人符合条件", f.VenueCode, f.SpecialtyCode,
			orAny(f.RegionPrefix), f.Needed, got)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrQuotaUnfilled) hold.
func (e *FunnelError) Unwrap() error { return ErrQuotaUnfilled }

func orAny(prefix string) string {
	if prefix == "" {
		return "不限"
	}
	return prefix
}

// ruleLabel is the Chinese label of a funnel step under rules r.
func ruleLabel(r Rules, rule string) string {
	switch rule {
	case ruleSpecialty:
		return "专业符合"
	case ruleRegion:
		return "地区符合"
	case ruleStatus:
		return "状态正常（未暂停、未禁入）"
	case ruleUnavailable:
		return "评标日期可参加"
	case ruleEmployer:
		return "不在招标人、投标人或其上级单位任职"
	case ruleFormerEmployer:
		return fmt.Sprintf("近%d年未在招标人、投标人任职", r.FormerEmployerYears)
	case ruleConsultancy:
		return fmt.Sprintf("近%d年未担任招标人、投标人顾问", r.ConsultancyYears)
	case rulePartyRelative:
		return "非招标人、投标人负责人亲属"
	case ruleCommitteeRelative:
		return "非本委员会其他成员亲属"
	case ruleMonthlyCap:
		return fmt.Sprintf("本月被抽取不足%d次", r.MaxDrawsPerMonth)
	case ruleBooked:
		return "评标时段无其他安排"
	case ruleDrawn:
		return "本次抽取中未被抽中过"
	case ruleJoint:
		return "未被本次其他名额抽中且与已抽中成员无亲属关系"
	}
	return rule
}

// ruleJoint is the last funnel step of an initial draw: eligible experts
// left after the other quotas' choices and the committee relatives rule.
const ruleJoint = "committee"

// ruleEnabled reports whether a funnel step applies under rules r.
func ruleEnabled(r Rules, rule string) bool {
	switch rule {
	case ruleStatus, ruleUnavailable:
		return r.Status
	case ruleEmployer:
		return r.EmployerIsParty
	case ruleFormerEmployer:
		return r.FormerEmployerYears > 0
	case ruleConsultancy:
		return r.ConsultancyYears > 0
	case rulePartyRelative, ruleCommitteeRelative:
		return r.Relatives
	case ruleMonthlyCap:
		return r.MaxDrawsPerMonth > 0
	}
	return true
}

// funnel counts, rule by rule in funnel order, the experts of q's
// specialty that each rule excluded; q is the scope's i-th quota. skip are
// the committee relatives the draw left out; chosen (-1 when not
// applicable) is how many the joint choice found among the eligible.
func (s *Service) funnel(ctx context.Context, tx pgx.Tx, sc *scope, q quotaSpec, i int, skip map[int64]bool, chosen int) (Funnel, error) {
	f := Funnel{QuotaID: q.ID, VenueCode: q.VenueCode, SpecialtyCode: q.SpecialtyCode, RegionPrefix: q.RegionPrefix,
		Needed: q.Count}
	rows, err := tx.Query(ctx, `SELECT DISTINCT d.expert_id FROM expertpool.draw_index d
		WHERE d.specialty_code IN (SELECT c.code FROM expertpool.specialties c WHERE starts_with(c.code, $1))`, q.SpecialtyCode)
	if err != nil {
		return f, fmt.Errorf("funnel of quota %d: %w", q.ID, err)
	}
	excluded := map[string]int{}
	total := 0
	inRegion := make(map[int64]bool, len(sc.inQuota[i]))
	for _, id := range sc.inQuota[i] {
		inRegion[id] = true
	}
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
		total++
		switch {
		case !inRegion[id]:
			excluded[ruleRegion]++
		case skip[id] && (sc.idRule[id] == "" || ruleOrder(sc.idRule[id]) > ruleOrder(ruleCommitteeRelative)):
			excluded[ruleCommitteeRelative]++
		case sc.idRule[id] != "":
			excluded[sc.idRule[id]]++
		}
		return nil
	}); err != nil {
		return f, fmt.Errorf("funnel of quota %d: %w", q.ID, err)
	}
	left := total
	for _, rule := range funnelOrder {
		if !ruleEnabled(sc.rules, rule) {
			continue
		}
		left -= excluded[rule]
		f.Steps = append(f.Steps, FunnelStep{Rule: rule, Label: ruleLabel(sc.rules, rule), Remaining: left, Excluded: excluded[rule]})
	}
	if chosen >= 0 && chosen < left {
		f.Steps = append(f.Steps, FunnelStep{Rule: ruleJoint, Label: ruleLabel(sc.rules, ruleJoint), Remaining: chosen, Excluded: left - chosen})
	}
	return f, nil
}
