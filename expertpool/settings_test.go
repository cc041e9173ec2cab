package expertpool_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
)

// TestRecusalSettings: the configured rules apply until an administrator
// sets others; a setting is audited with the rules before and after; a
// bad setting names its field and changes nothing; a reset brings the
// configured rules back.
func TestRecusalSettings(t *testing.T) {
	configured := expertpool.DefaultRules()
	configured.FormerEmployerYears = 4
	e := newEnv(t, &configured)
	ctx := context.Background()

	set, err := e.svc.RecusalSettings(ctx)
	require.NoError(t, err)
	require.Equal(t, expertpool.RulesFromConfig, set.Source)
	require.Equal(t, configured, set.Rules)
	require.Equal(t, configured, set.Config)

	next := configured
	next.ConsultancyYears, next.Relatives = 2, false
	set, err = e.svc.SetRecusalRules(ctx, "user:1", next)
	require.NoError(t, err)
	require.Equal(t, expertpool.RulesFromDatabase, set.Source)
	require.Equal(t, "user:1", set.UpdatedBy)
	require.Equal(t, e.clock.Now().UTC(), set.UpdatedAt)
	got, err := e.svc.RecusalSettings(ctx)
	require.NoError(t, err)
	require.Equal(t, set, got)

	entries, err := e.audit.List(ctx, audit.Filter{Action: "settings.recusal"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	var detail struct{ Before, After expertpool.Rules }
	require.NoError(t, json.Unmarshal(entries[0].Detail, &detail))
	require.Equal(t, configured, detail.Before)
	require.Equal(t, next, detail.After)

	for _, tc := range []struct {
		name  string
		edit  func(r *expertpool.Rules)
		field string
	}{
		{"negative years", func(r *expertpool.Rules) { r.FormerEmployerYears = -1 }, "former_employer_years"},
		{"too many years", func(r *expertpool.Rules) { r.ConsultancyYears = 31 }, "consultancy_years"},
		{"monthly cap too high", func(r *expertpool.Rules) { r.MaxDrawsPerMonth = 32 }, "max_draws_per_month"},
		{"empty committee", func(r *expertpool.Rules) { r.MinCommittee = 0 }, "min_committee"},
		{"share over one", func(r *expertpool.Rules) { r.ExpertShareNum = 4 }, "expert_share_num"},
		{"zero denominator", func(r *expertpool.Rules) { r.ExpertShareDen = 0 }, "expert_share_den"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := next
			tc.edit(&bad)
			_, err := e.svc.SetRecusalRules(ctx, "user:1", bad)
			require.ErrorIs(t, err, expertpool.ErrInvalid)
			require.Equal(t, tc.field, errtext.FieldOf(err))
			still, err := e.svc.RecusalSettings(ctx)
			require.NoError(t, err)
			require.Equal(t, next, still.Rules, "nothing changed")
		})
	}
	_, err = e.svc.SetRecusalRules(ctx, "", next)
	require.ErrorIs(t, err, expertpool.ErrInvalid, "no actor")

	set, err = e.svc.ResetRecusalRules(ctx, "user:1")
	require.NoError(t, err)
	require.Equal(t, expertpool.RulesFromConfig, set.Source)
	require.Equal(t, configured, set.Rules)
	entries, err = e.audit.List(ctx, audit.Filter{ObjectPrefix: "settings:recusal"})
	require.NoError(t, err)
	require.Len(t, entries, 2, "one change and one reset; the refused changes left nothing")
	require.Equal(t, "settings.recusal_reset", entries[1].Action)
}

// TestDrawAppliesRecusalSetting: a bidder's employee is left out under
// the configured rules; once an administrator switches the employer rule
// off, the next draw has them on its list and stores the rules it applied.
func TestDrawAppliesRecusalSetting(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 5, fixExpert{})
	subject := e.addExpert(t, fixExpert{Employer: bidderOrg})
	ctx := context.Background()

	before, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart, "A0101", "", 5))
	require.NoError(t, err)
	require.NotContains(t, e.candidates(t, before.DrawID), subject)

	off := expertpool.DefaultRules()
	off.EmployerIsParty = false
	_, err = e.svc.SetRecusalRules(ctx, "user:1", off)
	require.NoError(t, err)
	after, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.AddDate(0, 1, 0), "A0101", "", 5))
	require.NoError(t, err)
	require.Contains(t, e.candidates(t, after.DrawID), subject)

	stored := func(drawID int64) expertpool.Rules {
		var r expertpool.Rules
		require.NoError(t, e.db.QueryRow(ctx, `SELECT rules FROM expertpool.draws WHERE id = $1`, drawID).Scan(&r))
		return r
	}
	require.Equal(t, expertpool.DefaultRules(), stored(before.DrawID))
	require.Equal(t, off, stored(after.DrawID))
}

// TestReplacementKeepsTheDrawsRules: a replacement applies the rules its
// draw was made under, not a setting changed since.
func TestReplacementKeepsTheDrawsRules(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	clean := e.addExperts(t, 6, fixExpert{})
	subject := e.addExpert(t, fixExpert{Employer: bidderOrg})
	ctx := context.Background()
	res, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart, "A0101", "", 5))
	require.NoError(t, err)
	require.NotContains(t, e.candidates(t, res.DrawID), subject)

	off := expertpool.DefaultRules()
	off.EmployerIsParty = false
	_, err = e.svc.SetRecusalRules(ctx, "user:1", off)
	require.NoError(t, err)

	drawn := e.drawnKeys(t, res.DrawID, "notified")
	members := e.notifiedMembers(t, res.DrawID)
	r, err := e.svc.MarkRecusedOnSite(ctx, "user:3", members[0], "现场回避")
	require.NoError(t, err)
	require.NotZero(t, r.ReplacementID)
	var round1 []int64
	require.NoError(t, e.db.QueryRow(ctx, `SELECT candidates FROM expertpool.rounds WHERE draw_id = $1 AND round = 1`,
		res.DrawID).Scan(&round1))
	var undrawn []int64
	for _, id := range clean {
		if !drawn[string(e.expertKey(id))] {
			undrawn = append(undrawn, id)
		}
	}
	require.Len(t, undrawn, 1)
	require.Equal(t, undrawn, round1, "the one clean expert never drawn, and not the bidder's employee")
}
