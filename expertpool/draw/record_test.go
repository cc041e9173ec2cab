package draw_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/stretchr/testify/require"
)

// honestRecord builds the record of a draw made the way the service makes
// one: two quotas chosen jointly in round 0, then one replacement round.
func honestRecord(t *testing.T) draw.Record {
	t.Helper()
	seed := testSeed("record", 1)
	pairs := []draw.Pair{{A: 11, B: 12}}
	pools := []draw.Pool{
		{QuotaID: 5, Candidates: ids(10, 20), Want: 3},
		{QuotaID: 6, Candidates: ids(25, 10), Want: 1},
	}
	got, err := draw.Committee(seed, 42, pools, pairs, nil)
	require.NoError(t, err)
	rec := draw.Record{DrawID: 42, State: "filled", Seed: seed, Commitment: draw.Commitment(seed)}
	for i, p := range pools {
		var conf []draw.Pair
		if i == 0 {
			conf = pairs
		}
		h, err := draw.ListHash(p.Candidates, conf)
		require.NoError(t, err)
		rec.Rounds = append(rec.Rounds, draw.RoundRecord{QuotaID: p.QuotaID, Want: p.Want, Candidates: p.Candidates,
			Conflicts: conf, ListHash: h, AuditedHash: h, Outcome: draw.OutcomeChosen, Chosen: got[i]})
	}
	// Replacement for quota 5 from a list without everyone drawn so far.
	var rest []int64
	for _, id := range ids(10, 20) {
		if !slices.Contains(got[0], id) && !slices.Contains(got[1], id) {
			rest = append(rest, id)
		}
	}
	again, err := draw.Choose(seed, draw.Context(42, 5, 1), rest, 1, nil, nil)
	require.NoError(t, err)
	h, err := draw.ListHash(rest, nil)
	require.NoError(t, err)
	rec.Rounds = append(rec.Rounds, draw.RoundRecord{QuotaID: 5, Round: 1, Want: 1, Candidates: rest,
		ListHash: h, AuditedHash: h, Outcome: draw.OutcomeChosen, Chosen: again})
	return rec
}

func TestVerifyRecord(t *testing.T) {
	cases := []struct {
		name     string
		tamper   func(r *draw.Record)
		mismatch string
	}{
		{"honest draw", func(*draw.Record) {}, ""},
		{"other seed", func(r *draw.Record) { r.Seed = testSeed("record", 2) }, "commitment"},
		{"seed and commitment both replaced", func(r *draw.Record) {
			r.Seed = testSeed("record", 2)
			r.Commitment = draw.Commitment(r.Seed)
		}, "replay chose"},
		{"candidate dropped from list", func(r *draw.Record) {
			r.Rounds[0].Candidates = r.Rounds[0].Candidates[1:]
		}, "stored hash"},
		{"list and stored hash rewritten", func(r *draw.Record) {
			r.Rounds[0].Candidates = r.Rounds[0].Candidates[1:]
			r.Rounds[0].ListHash, _ = draw.ListHash(r.Rounds[0].Candidates, r.Rounds[0].Conflicts)
		}, "audit log"},
		{"member swapped", func(r *draw.Record) { r.Rounds[2].Chosen = []int64{999} }, "replay chose"},
		{"members of an unfilled round", func(r *draw.Record) { r.Rounds[1].Outcome = draw.OutcomeUnfilled }, "outcome"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := honestRecord(t)
			// Round-trip through JSON, as evalroomctl reads an exported file.
			b, err := json.Marshal(rec)
			require.NoError(t, err)
			var back draw.Record
			require.NoError(t, json.Unmarshal(b, &back))
			tc.tamper(&back)
			rep := draw.Verify(back)
			if tc.mismatch == "" {
				require.True(t, rep.OK, rep.Mismatch)
				require.Equal(t, 3, rep.Rounds)
				require.Equal(t, 5, rep.Members)
				return
			}
			require.False(t, rep.OK)
			require.Contains(t, rep.Mismatch, tc.mismatch)
		})
	}
}
