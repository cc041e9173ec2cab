package expertpool_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// notifiedMembers returns the draw's notified member ids in order.
func (e *env) notifiedMembers(t testing.TB, drawID int64) []int64 {
	t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT id FROM expertpool.members WHERE draw_id = $1 AND state = 'notified' ORDER BY id`, drawID)
	require.NoError(t, err)
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	return ids
}

// TestReplacementPromotesReserveThenDrawsThenRunsShort walks one quota
// through its replacements: the reserve is called up first, then a new
// round is drawn from whoever was never drawn, and when nobody is left
// the draw is short and staff are alerted.
func TestReplacementPromotesReserveThenDrawsThenRunsShort(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	ids := e.addExperts(t, 7, fixExpert{})
	ctx := context.Background()
	req := oneVenue(project, sessionStart, "A0101", "11", 5)
	req.Quotas[0].Reserves = 1
	res, err := e.svc.CreateDraw(ctx, "user:1", req)
	require.NoError(t, err)
	members := e.notifiedMembers(t, res.DrawID)
	require.Len(t, members, 5)
	var reserveID int64
	require.NoError(t, e.db.QueryRow(ctx, `SELECT id FROM expertpool.members WHERE draw_id = $1 AND state = 'reserve'`, res.DrawID).Scan(&reserveID))

	// 1: the reserve is called up.
	r1, err := e.svc.MarkRecusedOnSite(ctx, "user:3", members[0], "现场发现与投标人存在利害关系")
	require.NoError(t, err)
	require.Equal(t, reserveID, r1.ReplacementID)
	require.Equal(t, "notified", memberState(t, e, reserveID))
	require.True(t, hasBooking(t, e, reserveID))
	require.Equal(t, []string{"invite"}, outboxKinds(t, e, reserveID))

	// 2: a new round, from the one expert never drawn.
	r2, err := e.svc.MarkRecusedOnSite(ctx, "user:3", members[1], "身体不适")
	require.NoError(t, err)
	require.NotZero(t, r2.ReplacementID)
	drawnBefore := map[string]bool{}
	for _, id := range ids {
		drawnBefore[string(e.expertKey(id))] = true
	}
	var key []byte
	var round int
	require.NoError(t, e.db.QueryRow(ctx, `SELECT m.expert_key, r.round FROM expertpool.members m JOIN expertpool.rounds r ON r.id = m.round_id
		WHERE m.id = $1`, r2.ReplacementID).Scan(&key, &round))
	require.Equal(t, 1, round)
	keysOfDraw := e.drawnKeys(t, res.DrawID, "notified", "recused", "confirmed", "declined", "no_answer")
	require.Len(t, keysOfDraw, 7, "all seven experts have now been drawn, each once")
	require.Equal(t, "notified", memberState(t, e, r2.ReplacementID))
	require.True(t, hasBooking(t, e, r2.ReplacementID))

	// 3: nobody left.
	r3, err := e.svc.MarkRecusedOnSite(ctx, "user:3", members[2], "临时出差")
	require.NoError(t, err)
	require.Zero(t, r3.ReplacementID)
	st, err := e.svc.DrawStatus(ctx, res.DrawID)
	require.NoError(t, err)
	require.Equal(t, "short", st.State)
	require.Equal(t, 2, st.Venues[0].Quotas[0].Replacements)
	require.Equal(t, 3, st.Venues[0].Quotas[0].States["recused"])
	require.Equal(t, 4, st.Venues[0].Quotas[0].States["notified"])
	require.Equal(t, []string{"draw.commit", "draw.create", "draw.replace", "draw.replace", "draw.short"}, drawAudit(t, e, res.DrawID))
}

// TestReplacementSkipsRelativesOfTheCommittee: the only expert never drawn
// is a declared relative of a sitting member, so no replacement is found.
func TestReplacementSkipsRelativesOfTheCommittee(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	ids := e.addExperts(t, 5, fixExpert{})
	ctx := context.Background()
	res, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart, "A0101", "11", 5))
	require.NoError(t, err)
	late := e.addExpert(t, fixExpert{})
	e.exec(t, `INSERT INTO expertpool.expert_relatives (expert_id, relative_expert_id, relation) VALUES ($1, $2, '父子')`, late, ids[0])
	members := e.notifiedMembers(t, res.DrawID)
	// Release someone other than ids[0]'s member.
	var release int64
	for _, m := range members {
		var key []byte
		require.NoError(t, e.db.QueryRow(ctx, `SELECT expert_key FROM expertpool.members WHERE id = $1`, m).Scan(&key))
		if string(key) != string(e.expertKey(ids[0])) {
			release = m
			break
		}
	}
	r, err := e.svc.MarkRecusedOnSite(ctx, "user:3", release, "回避")
	require.NoError(t, err)
	require.Zero(t, r.ReplacementID, "a relative of a sitting member may not replace")

	var candidates []int64
	require.NoError(t, e.db.QueryRow(ctx, `SELECT candidates FROM expertpool.rounds WHERE draw_id = $1 AND round = 1`, res.DrawID).Scan(&candidates))
	require.Empty(t, candidates)
}
