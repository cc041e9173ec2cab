package expertpool_test

import (
	"context"
	"testing"
	"unicode/utf8"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/stretchr/testify/require"
)

func TestSeedDemo(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	rep, err := e.svc.SeedDemo(ctx, "system:demo", expertpool.DemoOptions{Experts: 300, Seed: 42})
	require.NoError(t, err)
	require.Equal(t, 300, rep.Experts)
	require.Equal(t, 6, rep.Projects)
	require.Len(t, rep.ProjectIDs, 6)

	counts := map[string]int{}
	for _, q := range []struct{ name, sql string }{
		{"experts", "SELECT count(*) FROM expertpool.experts"},
		{"organisations", "SELECT count(*) FROM expertpool.organisations"},
		{"projects", "SELECT count(*) FROM expertpool.projects"},
		{"without specialty", "SELECT count(*) FROM expertpool.experts e WHERE NOT EXISTS (SELECT 1 FROM expertpool.expert_specialties s WHERE s.expert_id = e.id)"},
		{"category links", "SELECT count(*) FROM expertpool.expert_specialties s JOIN expertpool.specialties c ON c.code = s.specialty_code WHERE c.parent_code IS NULL"},
		{"former", "SELECT count(*) FROM expertpool.expert_employments"},
		{"consultancies", "SELECT count(*) FROM expertpool.expert_consultancies"},
		{"expert relatives", "SELECT count(*) FROM expertpool.expert_relatives WHERE relative_expert_id IS NOT NULL"},
		{"org relatives", "SELECT count(*) FROM expertpool.expert_relatives WHERE org_code IS NOT NULL"},
		{"suspended", "SELECT count(*) FROM expertpool.experts WHERE status = 'suspended'"},
		{"blacklisted", "SELECT count(*) FROM expertpool.experts WHERE status = 'blacklisted'"},
		{"unavailable", "SELECT count(*) FROM expertpool.expert_unavailable"},
		{"province 32", "SELECT count(*) FROM expertpool.experts WHERE starts_with(region, '32')"},
		{"province 34", "SELECT count(*) FROM expertpool.experts WHERE starts_with(region, '34')"},
		{"province 37", "SELECT count(*) FROM expertpool.experts WHERE starts_with(region, '37')"},
		{"employed by a bidder", "SELECT count(*) FROM expertpool.experts e JOIN expertpool.project_bidders b ON b.org_code = e.employer_code"},
		{"left a bidder", "SELECT count(*) FROM expertpool.expert_employments e JOIN expertpool.project_bidders b USING (org_code)"},
		{"consulted a bidder", "SELECT count(*) FROM expertpool.expert_consultancies e JOIN expertpool.project_bidders b USING (org_code)"},
		{"relative of a bidder", "SELECT count(*) FROM expertpool.expert_relatives e JOIN expertpool.project_bidders b USING (org_code)"},
		{"organisations without principal", "SELECT count(*) FROM expertpool.organisations WHERE principal = ''"},
		{"groups", "SELECT count(*) FROM expertpool.organisations WHERE parent_code IS NOT NULL"},
	} {
		var n int
		require.NoError(t, e.db.QueryRow(ctx, q.sql).Scan(&n), q.name)
		counts[q.name] = n
	}
	require.Equal(t, 300, counts["experts"])
	require.Equal(t, rep.Organisations, counts["organisations"])
	require.Equal(t, 6, counts["projects"])
	require.Zero(t, counts["without specialty"])
	require.Zero(t, counts["category links"], "experts get subcategories only")
	require.Zero(t, counts["organisations without principal"])
	require.Equal(t, 100, counts["province 32"])
	require.Equal(t, 100, counts["province 34"])
	require.Equal(t, 100, counts["province 37"])
	for _, name := range []string{"former", "consultancies", "expert relatives", "org relatives", "suspended", "blacklisted", "unavailable",
		"employed by a bidder", "left a bidder", "consulted a bidder", "relative of a bidder", "groups"} {
		require.Positive(t, counts[name], name)
	}
	require.Equal(t, rep.FormerEmployments, counts["former"])
	require.Equal(t, rep.Relatives, counts["expert relatives"]+counts["org relatives"])

	rows, err := e.db.Query(ctx, "SELECT name, id_number_sealed, id_number_index, id_number_masked, mobile FROM expertpool.experts")
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var name, masked, mobile string
		var sealed, index []byte
		require.NoError(t, rows.Scan(&name, &sealed, &index, &masked, &mobile))
		plain, err := e.keys.Open(sealed, []byte(expertpool.IDNumberAAD))
		require.NoError(t, err)
		require.NoError(t, idcard.ValidateAt(string(plain), testStart), string(plain))
		require.Equal(t, idcard.Mask(string(plain)), masked)
		require.Equal(t, e.keys.MAC(expertpool.IDIndexPurpose, plain), index)
		require.GreaterOrEqual(t, utf8.RuneCountInString(name), 2, name)
		require.Len(t, mobile, 11)
	}
	require.NoError(t, rows.Err())

	entries, err := e.audit.List(ctx, audit.Filter{Action: "pool.seed_demo"})
	require.NoError(t, err)
	require.Len(t, entries, 1)

	again, err := e.svc.SeedDemo(ctx, "system:demo", expertpool.DemoOptions{Experts: 300, Seed: 42, OnlyIfEmpty: true})
	require.NoError(t, err)
	require.True(t, again.Skipped)
	_, err = e.svc.SeedDemo(ctx, "system:demo", expertpool.DemoOptions{Experts: 10, Seed: 42})
	require.ErrorIs(t, err, expertpool.ErrConflict)
	require.Equal(t, 300, countExperts(t, e))
}

func TestSeedDemoIsDeterministic(t *testing.T) {
	list := func(seed int64) []string {
		e := newEnv(t, nil)
		ctx := context.Background()
		_, err := e.svc.SeedDemo(ctx, "system:demo", expertpool.DemoOptions{Experts: 50, Seed: seed, Provinces: []string{"32", "33"}})
		require.NoError(t, err)
		experts, _, err := e.svc.ListExperts(ctx, expertpool.ExpertFilter{Limit: 100})
		require.NoError(t, err)
		var out []string
		for _, x := range experts {
			out = append(out, x.Name+x.IDNumberMasked+x.Mobile+x.Region)
		}
		return out
	}
	first := list(7)
	require.Len(t, first, 50)
	require.Equal(t, first, list(7))
	require.NotEqual(t, first, list(8))
}

func TestSeedDemoRejectsUnknownProvince(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.svc.SeedDemo(context.Background(), "system:demo", expertpool.DemoOptions{Provinces: []string{"99"}})
	require.ErrorIs(t, err, expertpool.ErrInvalid)
	require.Zero(t, countExperts(t, e))
}

// BenchmarkSeedDemo100k measures seeding the draw benchmark's pool:
// go test ./expertpool -run '^$' -bench SeedDemo100k -benchtime 1x
func BenchmarkSeedDemo100k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, nil)
		b.StartTimer()
		rep, err := e.svc.SeedDemo(context.Background(), "system:bench", expertpool.DemoOptions{Experts: 100_000, Seed: 1})
		require.NoError(b, err)
		require.Equal(b, 100_000, rep.Experts)
	}
}
