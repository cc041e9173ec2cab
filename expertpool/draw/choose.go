package draw

import (
	"fmt"
	"strconv"
)

// Context returns the stream context of one round of one quota of a draw:
// "draw:<drawID>/quota:<quotaID>/round:<round>".
func Context(drawID, quotaID int64, round int) string {
	return "draw:" + strconv.FormatInt(drawID, 10) + "/quota:" + strconv.FormatInt(quotaID, 10) +
		"/round:" + strconv.Itoa(round)
}

// Conflicts indexes conflict pairs by expert.
type Conflicts map[int64][]int64

// NewConflicts indexes pairs both ways.
func NewConflicts(pairs []Pair) Conflicts {
	c := make(Conflicts, 2*len(pairs))
	for _, p := range pairs {
		if p.A == p.B {
			continue
		}
		c[p.A] = append(c[p.A], p.B)
		c[p.B] = append(c[p.B], p.A)
	}
	return c
}

// blocked reports whether id is taken or conflicts with a taken expert.
func (c Conflicts) blocked(id int64, taken map[int64]bool) bool {
	if taken[id] {
		return true
	}
	for _, other := range c[id] {
		if taken[other] {
			return true
		}
	}
	return false
}

// Choose returns up to k candidates in drawn order (see the package
// documentation): a partial Fisher–Yates walk of candidates driven by
// NewStream(seed, context), skipping anyone in taken or in conflict with
// someone in taken or chosen before. It adds the chosen to taken (which
// may be nil when nothing is taken yet and the caller does not need it
// back). It returns ErrUnsorted or ErrBadSeed for bad input; a short result
// (fewer than k) is not an error.
func Choose(seed []byte, context string, candidates []int64, k int, conflicts Conflicts, taken map[int64]bool) ([]int64, error) {
	if len(seed) != SeedSize {
		return nil, ErrBadSeed
	}
	if err := CheckSorted(candidates); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, fmt.Errorf("draw: cannot choose %d", k)
	}
	if taken == nil {
		taken = map[int64]bool{}
	}
	a := append([]int64(nil), candidates...)
	st := NewStream(seed, context)
	out := make([]int64, 0, min(k, len(a)))
	for i := 0; i < len(a) && len(out) < k; i++ {
		j := i + int(st.Uniform(uint64(len(a)-i)))
		a[i], a[j] = a[j], a[i]
		if conflicts.blocked(a[i], taken) {
			continue
		}
		out = append(out, a[i])
		taken[a[i]] = true
	}
	return out, nil
}

// Pool is one quota's share of a joint choice.
type Pool struct {
	// QuotaID names the quota; Committee makes each pool's choice with
	// Context(drawID, QuotaID, Round).
	QuotaID int64 `json:"quota_id"`
	// Round is the round number (0 for a draw's initial choice).
	Round int `json:"round"`
	// Candidates is the eligible list, strictly ascending.
	Candidates []int64 `json:"candidates"`
	// Want is how many to choose (members then reserves).
	Want int `json:"want"`
}

// Committee makes the joint choice of a draw: pools in the order given
// (callers pass ascending quota id), sharing the taken set and conflicts, so
// nobody is chosen twice and no two chosen experts conflict. taken holds
// experts already on the committee (nil for none). It returns one choice
// per pool.
func Committee(seed []byte, drawID int64, pools []Pool, conflicts []Pair, taken []int64) ([][]int64, error) {
	c := NewConflicts(conflicts)
	t := make(map[int64]bool, len(taken))
	for _, id := range taken {
		t[id] = true
	}
	out := make([][]int64, len(pools))
	for i, p := range pools {
		got, err := Choose(seed, Context(drawID, p.QuotaID, p.Round), p.Candidates, p.Want, c, t)
		if err != nil {
			return nil, fmt.Errorf("quota %d round %d: %w", p.QuotaID, p.Round, err)
		}
		out[i] = got
	}
	return out, nil
}
