package expertpool

import (
	"fmt"
)

// Rules are the recusal (回避) and committee rules of a trading centre.
// Each recusal rule can be switched off; the defaults follow the rules in
// force. A draw stores the Rules it was made under.
type Rules struct {
	// EmployerIsParty excludes experts whose current employer is the
	// tenderer or a bidder, or the parent organisation of one.
	EmployerIsParty bool `json:"employer_is_party" yaml:"employer_is_party" doc:"exclude experts employed by the tenderer or a bidder (or its parent)"`
	// FormerEmployerYears excludes experts who left a bidder (or the
	// tenderer) less than this many years before the session; 0 disables.
	FormerEmployerYears int `json:"former_employer_years" yaml:"former_employer_years" doc:"exclude experts who left a party fewer than this many years ago (0 = off)"`
	// ConsultancyYears excludes consultants of a bidder (or the tenderer)
	// within this many years before the session; 0 disables.
	ConsultancyYears int `json:"consultancy_years" yaml:"consultancy_years" doc:"exclude consultants of a party within this many years (0 = off)"`
	// Relatives excludes declared relatives of a bidder's or the
	// tenderer's principal, and of another member of the same committee.
	Relatives bool `json:"relatives" yaml:"relatives" doc:"exclude declared relatives of a party principal or of another committee member"`
	// MaxDrawsPerMonth caps how often one expert is drawn in the calendar
	// month of the session; 0 disables.
	MaxDrawsPerMonth int `json:"max_draws_per_month" yaml:"max_draws_per_month" doc:"most draws of one expert per calendar month (0 = off)"`
	// Status excludes suspended, blacklisted and unavailable experts.
	Status bool `json:"status" yaml:"status" doc:"exclude suspended, blacklisted and unavailable experts"`
	// MinCommittee is the smallest committee (experts plus tenderer
	// representatives); committees must have an odd size when OddSize.
	MinCommittee int  `json:"min_committee" yaml:"min_committee" doc:"smallest committee size (experts plus tenderer representatives)"`
	OddSize      bool `json:"odd_size" yaml:"odd_size" doc:"committee size must be odd"`
	// ExpertShareNum/ExpertShareDen is the smallest share of drawn
	// technical and economic experts in the committee (default 2/3).
	ExpertShareNum int `json:"expert_share_num" yaml:"expert_share_num" doc:"numerator of the least share of drawn experts in the committee"`
	ExpertShareDen int `json:"expert_share_den" yaml:"expert_share_den" doc:"denominator of the least share of drawn experts in the committee"`
}

// DefaultRules returns the rules in force: all recusal rules on, left a
// bidder under 5 years, consultant within 3 years, at most 4 draws a month,
// committee of at least 5 and odd, experts at least 2/3.
func DefaultRules() Rules {
	return Rules{
		EmployerIsParty:     true,
		FormerEmployerYears: 5,
		ConsultancyYears:    3,
		Relatives:           true,
		MaxDrawsPerMonth:    4,
		Status:              true,
		MinCommittee:        5,
		OddSize:             true,
		ExpertShareNum:      2,
		ExpertShareDen:      3,
	}
}

// Validate reports the first rule setting that makes no sense.
func (r Rules) Validate() error {
	switch {
	case r.FormerEmployerYears < 0 || r.ConsultancyYears < 0 || r.MaxDrawsPerMonth < 0:
		return fmt.Errorf("%w: rule years and counts must not be negative", ErrInvalid)
	case r.MinCommittee < 1:
		return fmt.Errorf("%w: min_committee must be at least 1", ErrInvalid)
	case r.ExpertShareDen <= 0 || r.ExpertShareNum < 0 || r.ExpertShareNum > r.ExpertShareDen:
		return fmt.Errorf("%w: expert share must be a fraction between 0 and 1", ErrInvalid)
	}
	return nil
}

// CheckCommittee reports whether a committee of experts drawn experts and
// reps tenderer representatives satisfies r.
func (r Rules) CheckCommittee(experts, reps int) error {
	total := experts + reps
	switch {
	case total < r.MinCommittee:
		return fmt.Errorf("%w: committee of %d is smaller than %d", ErrInvalid, total, r.MinCommittee)
	case r.OddSize && total%2 == 0:
		return fmt.Errorf("%w: committee of %d must have an odd size", ErrInvalid, total)
	case experts*r.ExpertShareDen < total*r.ExpertShareNum:
		return fmt.Errorf("%w: %d experts of %d is less than %d/%d", ErrInvalid, experts, total, r.ExpertShareNum, r.ExpertShareDen)
	}
	return nil
}
