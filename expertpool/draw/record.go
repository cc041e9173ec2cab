package draw

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
)

// Hex is a byte string written as lower-case hex in JSON.
type Hex []byte

// MarshalText writes h as hex.
func (h Hex) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

// String returns h as hex.
func (h Hex) String() string { return hex.EncodeToString(h) }

// UnmarshalText reads hex.
func (h *Hex) UnmarshalText(b []byte) error {
	out, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("draw: hex: %w", err)
	}
	*h = out
	return nil
}

// Round outcomes, as stored with each round.
const (
	// OutcomeChosen: the chosen experts were stored as members.
	OutcomeChosen = "chosen"
	// OutcomeUnfilled: some quota of the draw could not be filled, so
	// nothing chosen in this round was stored.
	OutcomeUnfilled = "unfilled"
	// OutcomeConflict: a chosen expert had been booked by a concurrent
	// draw, so nothing chosen in this round was stored and another round
	// followed.
	OutcomeConflict = "conflict"
)

// RoundRecord is one stored round of a quota.
type RoundRecord struct {
	QuotaID int64 `json:"quota_id"`
	Round   int   `json:"round"`
	// Want is how many the round was to choose.
	Want int `json:"want"`
	// Candidates (ascending) and Conflicts are the committed list.
	Candidates []int64 `json:"candidates"`
	Conflicts  []Pair  `json:"conflicts"`
	// ListHash is the hash stored with the round; AuditedHash the one the
	// audit log recorded for it before the choice.
	ListHash    Hex `json:"list_hash"`
	AuditedHash Hex `json:"audited_hash"`
	// Outcome is OutcomeChosen, OutcomeUnfilled or OutcomeConflict.
	Outcome string `json:"outcome"`
	// Chosen are the experts stored for this round, in position order
	// (members, then reserves); empty unless Outcome is OutcomeChosen.
	Chosen []int64 `json:"chosen"`
}

// Record is everything needed to check a draw offline: the revealed seed,
// the commitment, and every round with the experts stored for it.
type Record struct {
	DrawID     int64         `json:"draw_id"`
	State      string        `json:"state"`
	Seed       Hex           `json:"seed"`
	Commitment Hex           `json:"commitment"`
	Rounds     []RoundRecord `json:"rounds"`
}

// Report is the outcome of Verify.
type Report struct {
	// OK is true when the seed matches its commitment, every list matches
	// its stored and audited hash, and replaying every round gives exactly
	// the stored experts.
	OK bool `json:"ok"`
	// Rounds and Members count what was checked.
	Rounds  int `json:"rounds"`
	Members int `json:"members"`
	// Mismatch describes the first failed check (empty when OK); QuotaID
	// and Round locate it (zero for the seed check).
	Mismatch string `json:"mismatch,omitempty"`
	QuotaID  int64  `json:"quota_id,omitempty"`
	Round    int    `json:"round,omitempty"`
}

func (r *Report) fail(quota int64, round int, format string, args ...any) Report {
	r.OK, r.QuotaID, r.Round, r.Mismatch = false, quota, round, fmt.Sprintf(format, args...)
	return *r
}

// Verify checks rec: the seed against the commitment, each round's list
// hash (recomputed, stored and audited), and a replay of every round
// against the stored experts. Round 0 of every quota is replayed jointly
// (Committee, ascending quota id, with the union of their conflicts);
// later rounds one by one (Choose). The report names the first mismatch.
func Verify(rec Record) Report {
	rep := Report{OK: true}
	if len(rec.Seed) != SeedSize {
		return rep.fail(0, 0, "seed is %d bytes, not %d", len(rec.Seed), SeedSize)
	}
	if !CheckCommitment(rec.Seed, rec.Commitment) {
		return rep.fail(0, 0, "SHA-256 of the seed does not match the commitment")
	}
	rounds := slices.Clone(rec.Rounds)
	sort.SliceStable(rounds, func(i, j int) bool {
		if rounds[i].Round != rounds[j].Round {
			return rounds[i].Round < rounds[j].Round
		}
		return rounds[i].QuotaID < rounds[j].QuotaID
	})
	for _, r := range rounds {
		rep.Rounds++
		h, err := ListHash(r.Candidates, r.Conflicts)
		switch {
		case err != nil:
			return rep.fail(r.QuotaID, r.Round, "candidate list: %v", err)
		case !bytes.Equal(h, r.ListHash):
			return rep.fail(r.QuotaID, r.Round, "candidate list does not match its stored hash")
		case !bytes.Equal(h, r.AuditedHash):
			return rep.fail(r.QuotaID, r.Round, "candidate list does not match the hash in the audit log")
		case r.Outcome != OutcomeChosen && len(r.Chosen) > 0:
			return rep.fail(r.QuotaID, r.Round, "round with outcome %q has stored members", r.Outcome)
		}
	}
	// Round 0: the joint choice.
	var pools []Pool
	var pairs []Pair
	var initial []RoundRecord
	for _, r := range rounds {
		if r.Round == 0 {
			pools = append(pools, Pool{QuotaID: r.QuotaID, Round: 0, Candidates: r.Candidates, Want: r.Want})
			pairs = append(pairs, r.Conflicts...)
			initial = append(initial, r)
		}
	}
	got, err := Committee(rec.Seed, rec.DrawID, pools, NormalizePairs(pairs), nil)
	if err != nil {
		return rep.fail(0, 0, "replay: %v", err)
	}
	for i, r := range initial {
		if m := compare(r, got[i]); m != "" {
			return rep.fail(r.QuotaID, r.Round, "%s", m)
		}
		rep.Members += len(r.Chosen)
	}
	for _, r := range rounds {
		if r.Round == 0 {
			continue
		}
		got, err := Choose(rec.Seed, Context(rec.DrawID, r.QuotaID, r.Round), r.Candidates, r.Want, NewConflicts(r.Conflicts), nil)
		if err != nil {
			return rep.fail(r.QuotaID, r.Round, "replay: %v", err)
		}
		if m := compare(r, got); m != "" {
			return rep.fail(r.QuotaID, r.Round, "%s", m)
		}
		rep.Members += len(r.Chosen)
	}
	return rep
}

// compare checks a round's stored experts against its replay.
func compare(r RoundRecord, replay []int64) string {
	if r.Outcome != OutcomeChosen {
		return ""
	}
	if !slices.Equal(r.Chosen, replay) {
		return fmt.Sprintf("replay chose %v, stored members are %v", replay, r.Chosen)
	}
	return ""
}
