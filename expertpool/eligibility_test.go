package expertpool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

// TestRecusalRules checks each rule on one expert: one case it excludes,
// one it does not. Five clean experts fill the quota either way; the
// subject is or is not on the committed candidate list.
func TestRecusalRules(t *testing.T) {
	day := func(d time.Time) time.Time {
		y, m, dd := d.In(time.FixedZone("CST", 8*3600)).Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	session := day(sessionStart)
	cases := []struct {
		name     string
		expert   fixExpert
		setup    func(e *env, id int64)
		excluded bool
	}{
		{"specialty outside the quota", fixExpert{Specialties: []string{"B0101"}}, nil, true},
		{"subcategory of the quota's specialty", fixExpert{Specialties: []string{"A0105"}}, nil, false},
		{"region outside the prefix", fixExpert{Region: "310101"}, nil, true},
		{"other city of the province", fixExpert{Region: "110228"}, nil, false},
		{"works for a bidder", fixExpert{Employer: bidderOrg}, nil, true},
		{"works for the tenderer", fixExpert{Employer: tendererOrg}, nil, true},
		{"works for a bidder's parent", fixExpert{Employer: parentOrg}, nil, true},
		{"works elsewhere", fixExpert{Employer: otherOrg}, nil, false},
		{"left a bidder 4 years ago", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_employments VALUES ($1, $2, $3)`, id, bidderOrg, session.AddDate(-4, 0, 0))
		}, true},
		{"left a bidder 6 years ago", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_employments VALUES ($1, $2, $3)`, id, bidderOrg, session.AddDate(-6, 0, 0))
		}, false},
		{"consulted for a bidder until 2 years ago", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_consultancies VALUES ($1, $2, $3, $4)`, id, bidder2Org, session.AddDate(-5, 0, 0), session.AddDate(-2, 0, 0))
		}, true},
		{"consults for a bidder, open-ended", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_consultancies VALUES ($1, $2, $3, NULL)`, id, bidder2Org, session.AddDate(-1, 0, 0))
		}, true},
		{"consulted for a bidder until 4 years ago", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_consultancies VALUES ($1, $2, $3, $4)`, id, bidder2Org, session.AddDate(-6, 0, 0), session.AddDate(-4, 0, 0))
		}, false},
		{"relative of a bidder's principal", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_relatives (expert_id, org_code, relation) VALUES ($1, $2, '配偶')`, id, bidderOrg)
		}, true},
		{"relative of another organisation's principal", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_relatives (expert_id, org_code, relation) VALUES ($1, $2, '配偶')`, id, otherOrg)
		}, false},
		{"suspended through the session day", fixExpert{Status: "suspended", SuspendedUntil: session}, nil, true},
		{"suspension ended the day before", fixExpert{Status: "suspended", SuspendedUntil: session.AddDate(0, 0, -1)}, nil, false},
		{"blacklisted", fixExpert{Status: "blacklisted"}, nil, true},
		{"unavailable on the session day", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_unavailable VALUES ($1, $2)`, id, session)
		}, true},
		{"unavailable the day after", fixExpert{}, func(e *env, id int64) {
			e.exec(t, `INSERT INTO expertpool.expert_unavailable VALUES ($1, $2)`, id, session.AddDate(0, 0, 1))
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			project := e.addProject(t)
			e.addExperts(t, 5, fixExpert{})
			subject := e.addExpert(t, tc.expert)
			if tc.setup != nil {
				tc.setup(e, subject)
			}
			res, err := e.svc.CreateDraw(context.Background(), "user:1", oneVenue(project, sessionStart, "A01", "11", 5))
			require.NoError(t, err)
			if tc.excluded {
				require.NotContains(t, e.candidates(t, res.DrawID), subject)
				require.Equal(t, 5, res.Quotas[0].Candidates)
			} else {
				require.Contains(t, e.candidates(t, res.DrawID), subject)
				require.Equal(t, 6, res.Quotas[0].Candidates)
			}
		})
	}
}

// TestRulesCanBeSwitchedOff: with the party rules off, a bidder's employee
// is eligible.
func TestRulesCanBeSwitchedOff(t *testing.T) {
	rules := expertpool.DefaultRules()
	rules.EmployerIsParty = false
	e := newEnv(t, &rules)
	project := e.addProject(t)
	e.addExperts(t, 5, fixExpert{})
	subject := e.addExpert(t, fixExpert{Employer: bidderOrg})
	res, err := e.svc.CreateDraw(context.Background(), "user:1", oneVenue(project, sessionStart, "A0101", "", 5))
	require.NoError(t, err)
	require.Contains(t, e.candidates(t, res.DrawID), subject)
}

// TestMonthlyCap: an expert drawn MaxDrawsPerMonth times in the month of
// the session is not drawn again that month, but is the next month.
func TestMonthlyCap(t *testing.T) {
	rules := expertpool.DefaultRules()
	rules.MaxDrawsPerMonth = 2
	e := newEnv(t, &rules)
	project := e.addProject(t)
	e.addExperts(t, 5, fixExpert{})
	ctx := context.Background()
	for i := range 2 {
		_, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.Add(time.Duration(i)*24*time.Hour), "A0101", "11", 5))
		require.NoError(t, err, "draw %d within the cap", i+1)
	}
	_, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.Add(48*time.Hour), "A0101", "11", 5))
	var fe *expertpool.FunnelError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, 0, step(t, fe.Funnels[0], "monthly_cap").Remaining)
	require.Equal(t, 5, step(t, fe.Funnels[0], "monthly_cap").Excluded)

	nextMonth := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
	_, err = e.svc.CreateDraw(ctx, "user:1", oneVenue(project, nextMonth, "A0101", "11", 5))
	require.NoError(t, err, "a new month")
}

// TestBookedExpertsAreNotDrawnForOverlappingSessions: everyone in a
// five-expert pool is booked by a first draw; an overlapping session
// finds nobody, an adjacent one finds all five.
func TestBookedExpertsAreNotDrawnForOverlappingSessions(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 5, fixExpert{})
	ctx := context.Background()
	first := oneVenue(project, sessionStart, "A0101", "11", 5)
	_, err := e.svc.CreateDraw(ctx, "user:1", first)
	require.NoError(t, err)

	overlapping := oneVenue(project, sessionStart.Add(3*time.Hour), "A0101", "11", 5)
	_, err = e.svc.CreateDraw(ctx, "user:1", overlapping)
	var fe *expertpool.FunnelError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, 5, step(t, fe.Funnels[0], "booked").Excluded)

	adjacent := oneVenue(project, first.EndsAt, "A0101", "11", 5)
	_, err = e.svc.CreateDraw(ctx, "user:1", adjacent)
	require.NoError(t, err)
}

// TestRelativesNeverSitTogether: two declared relatives in a pool of six
// are never both on a five-member committee; a relative of someone
// outside the pool is drawn as usual.
func TestRelativesNeverSitTogether(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	ids := e.addExperts(t, 6, fixExpert{})
	outsider := e.addExpert(t, fixExpert{Specialties: []string{"C0101"}})
	e.exec(t, `INSERT INTO expertpool.expert_relatives (expert_id, relative_expert_id, relation) VALUES ($1, $2, '兄弟'), ($3, $4, '夫妻')`,
		ids[0], ids[1], ids[2], outsider)
	ctx := context.Background()
	for i := range 4 {
		res, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.Add(time.Duration(i)*24*time.Hour), "A0101", "11", 5))
		require.NoError(t, err)
		drawn := e.drawnKeys(t, res.DrawID, "notified")
		require.Len(t, drawn, 5)
		require.False(t, drawn[string(e.expertKey(ids[0]))] && drawn[string(e.expertKey(ids[1]))], "relatives together in draw %d", i)
		require.True(t, drawn[string(e.expertKey(ids[2]))], "relative of an outsider is always needed here")
	}
}

// TestUnfilledQuotaKeepsAttemptAndBooksNothing checks the funnel numbers,
// that nothing is booked or notified, and that the attempt is audited.
func TestUnfilledQuotaKeepsAttemptAndBooksNothing(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	ctx := context.Background()
	e.addExperts(t, 2, fixExpert{})                      // eligible
	e.addExperts(t, 3, fixExpert{Region: "310101"})      // wrong region
	e.addExperts(t, 1, fixExpert{Status: "blacklisted"}) // status
	e.addExperts(t, 2, fixExpert{Employer: bidderOrg})   // employer
	relative := e.addExpert(t, fixExpert{})              // party relative
	e.exec(t, `INSERT INTO expertpool.expert_relatives (expert_id, org_code) VALUES ($1, $2)`, relative, tendererOrg)
	e.addExperts(t, 4, fixExpert{Specialties: []string{"C0101"}}) // not in specialty at all

	_, err := e.svc.CreateDraw(ctx, "user:7", oneVenue(project, sessionStart, "A0101", "11", 5))
	require.ErrorIs(t, err, expertpool.ErrQuotaUnfilled)
	var fe *expertpool.FunnelError
	require.True(t, errors.As(err, &fe))
	require.Len(t, fe.Funnels, 1)
	f := fe.Funnels[0]
	require.Equal(t, 5, f.Needed)
	want := map[string][2]int{ // rule → remaining, excluded
		"specialty": {9, 0}, "region": {6, 3}, "status": {5, 1}, "unavailable": {5, 0}, "employer": {3, 2},
		"former_employer": {3, 0}, "consultancy": {3, 0}, "party_relative": {2, 1}, "committee_relative": {2, 0},
		"monthly_cap": {2, 0}, "booked": {2, 0}, "drawn": {2, 0},
	}
	require.Len(t, f.Steps, len(want))
	for _, s := range f.Steps {
		require.Equal(t, want[s.Rule], [2]int{s.Remaining, s.Excluded}, s.Rule)
		require.NotEmpty(t, s.Label)
	}
	require.Contains(t, err.Error(), "需要5人，仅2人符合条件")

	var state string
	var members, bookings, outbox int
	require.NoError(t, e.db.QueryRow(ctx, `SELECT state, (SELECT count(*) FROM expertpool.members), (SELECT count(*) FROM expertpool.bookings),
		(SELECT count(*) FROM expertpool.outbox) FROM expertpool.draws WHERE id = $1`, fe.DrawID).Scan(&state, &members, &bookings, &outbox))
	require.Equal(t, "failed", state)
	require.Zero(t, members)
	require.Zero(t, bookings)
	require.Zero(t, outbox)
	entries := drawAudit(t, e, fe.DrawID)
	require.Equal(t, []string{"draw.commit", "draw.fail"}, entries)
}

// step finds a funnel step by rule.
func step(t *testing.T, f expertpool.Funnel, rule string) expertpool.FunnelStep {
	t.Helper()
	for _, s := range f.Steps {
		if s.Rule == rule {
			return s
		}
	}
	t.Fatalf("no funnel step %q in %+v", rule, f.Steps)
	return expertpool.FunnelStep{}
}

// TestPoolChangesReachTheNextDraw: the draw keeps each specialty's experts
// in memory between draws; changes to the pool (a new expert, a move to
// another province, a specialty withdrawn) must show in the next draw.
func TestPoolChangesReachTheNextDraw(t *testing.T) {
	rules := expertpool.DefaultRules()
	rules.MaxDrawsPerMonth = 0 // five draws from a pool of seven in one month
	e := newEnv(t, &rules)
	project := e.addProject(t)
	ids := e.addExperts(t, 7, fixExpert{})
	ctx := context.Background()
	day := 0
	next := func() []int64 {
		t.Helper()
		day++
		res, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.Add(time.Duration(day)*24*time.Hour), "A01", "11", 5))
		require.NoError(t, err)
		return e.candidates(t, res.DrawID)
	}
	require.Len(t, next(), 7)

	added := e.addExpert(t, fixExpert{Specialties: []string{"A0103"}})
	require.Contains(t, next(), added, "new expert")

	e.exec(t, `UPDATE expertpool.experts SET region = '320102' WHERE id = $1`, ids[0])
	require.NotContains(t, next(), ids[0], "moved to another province")

	e.exec(t, `DELETE FROM expertpool.expert_specialties WHERE expert_id = $1`, ids[1])
	require.NotContains(t, next(), ids[1], "specialty withdrawn")

	e.exec(t, `UPDATE expertpool.expert_specialties SET specialty_code = 'C0101' WHERE expert_id = $1`, ids[2])
	got := next()
	require.NotContains(t, got, ids[2], "specialty changed")
	require.Len(t, got, 5)
}

// TestBookedExpertWithAnOlderIDIsRecognised: the draw keeps a directory of
// blind keys in memory, read by ascending expert id. An expert whose id is
// below ones the directory has already read (an insert that committed
// late) must still be recognised as booked.
func TestBookedExpertWithAnOlderIDIsRecognised(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 5, fixExpert{})
	ctx := context.Background()
	h := time.Hour
	_, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart, "A0101", "11", 5))
	require.NoError(t, err)
	_, err = e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.Add(h), "A0101", "11", 5))
	require.ErrorIs(t, err, expertpool.ErrQuotaUnfilled, "everyone booked; the directory has now read the first five")

	late := int64(-1)
	e.exec(t, `INSERT INTO expertpool.experts (id, name, id_number_sealed, id_number_index, id_number_masked, mobile, region)
		VALUES ($1, '迟到专家', 'x', 'late-index', '110101********0011', '13900000001', '110101')`, late)
	e.exec(t, `INSERT INTO expertpool.expert_specialties (expert_id, specialty_code) VALUES ($1, 'A0101')`, late)
	e.addExperts(t, 4, fixExpert{})
	// Overlaps the first session: only the late expert and the four new
	// ones are free, so all five are drawn and booked.
	d1, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.Add(2*h), "A0101", "11", 5))
	require.NoError(t, err)
	require.Contains(t, e.candidates(t, d1.DrawID), late)

	// Overlaps d1 only: the first five are free again, the late one is not.
	d2, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.Add(5*h), "A0101", "11", 5))
	require.NoError(t, err)
	require.NotContains(t, e.candidates(t, d2.DrawID), late)
	require.Len(t, e.candidates(t, d2.DrawID), 5)
}
