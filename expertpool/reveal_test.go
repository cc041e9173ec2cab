package expertpool_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

func TestSealedUntilSigninOpens(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 4, fixExpert{Region: "110105"})
	e.addExperts(t, 2, fixExpert{Region: "310104"})
	e.addExperts(t, 2, fixExpert{Region: "440103"})
	ctx := context.Background()
	req := threeVenues(project, sessionStart)
	res, err := e.svc.CreateDraw(ctx, "user:1", req)
	require.NoError(t, err)

	st, err := e.svc.DrawStatus(ctx, res.DrawID)
	require.NoError(t, err)
	require.True(t, st.Sealed)
	require.Equal(t, "已确认0人，共需5人", st.Summary)
	require.Len(t, st.Venues, 3)
	require.Equal(t, "main", st.Venues[0].Code, "main venue first")
	require.Equal(t, 3, st.Venues[0].Quotas[0].States["notified"])
	require.Equal(t, 1, st.Venues[0].Quotas[0].States["reserve"])

	_, err = e.svc.RevealMembers(ctx, "user:5", res.DrawID, "main")
	require.ErrorIs(t, err, expertpool.ErrSealed)
	require.Equal(t, []string{"draw.commit", "draw.create"}, drawAudit(t, e, res.DrawID), "a refused reveal discloses nothing")

	members := e.notifiedMembers(t, res.DrawID)
	_, err = e.svc.Answer(ctx, expertpool.AnswerInput{MemberID: members[0], Accept: true, Channel: expertpool.ChannelPhone, Actor: "user:5"})
	require.NoError(t, err)

	e.clock.Set(req.StartsAt.Add(-expertpool.DefaultSigninLead))
	got, err := e.svc.RevealMembers(ctx, "user:5", res.DrawID, "main")
	require.NoError(t, err)
	require.Len(t, got, 3, "three members at the main venue; the reserve is not shown")
	ready := 0
	for _, m := range got {
		require.Equal(t, "main", m.VenueCode)
		require.Contains(t, m.Name, "专家")
		require.Regexp(t, `^1[3-9][0-9]\*{4}[0-9]{4}$`, m.MobileMasked)
		require.Contains(t, m.IDNumberMasked, "*")
		if m.SeatReady {
			ready++
			require.Equal(t, "confirmed", m.State)
		}
	}
	require.Equal(t, 1, ready)
	require.Contains(t, drawAudit(t, e, res.DrawID), "draw.reveal")

	all, err := e.svc.RevealMembers(ctx, "user:5", res.DrawID, "")
	require.NoError(t, err)
	require.Len(t, all, 5)
	_, err = e.svc.RevealMembers(ctx, "user:5", res.DrawID, "nowhere")
	require.ErrorIs(t, err, expertpool.ErrNotFound)

	st, err = e.svc.DrawStatus(ctx, res.DrawID)
	require.NoError(t, err)
	require.False(t, st.Sealed)
	require.Equal(t, "已确认1人，共需5人", st.Summary)
}

func TestRevealSeedOnlyAfterTheSessionOrBySupervisor(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 10, fixExpert{})
	ctx := context.Background()
	a, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart, "A0101", "11", 5))
	require.NoError(t, err)
	b, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart.Add(24*time.Hour), "A0101", "11", 5))
	require.NoError(t, err)

	_, err = e.svc.RevealSeed(ctx, "user:1", a.DrawID, false)
	require.ErrorIs(t, err, expertpool.ErrSealed)
	_, err = e.svc.VerifyDraw(ctx, a.DrawID)
	require.ErrorIs(t, err, expertpool.ErrSealed, "nothing to verify before the seed is revealed")

	seed, err := e.svc.RevealSeed(ctx, "user:9", b.DrawID, true)
	require.NoError(t, err, "a supervisor may ask early")
	require.Len(t, seed, 32)

	e.clock.Set(sessionStart.Add(4 * time.Hour))
	seedA, err := e.svc.RevealSeed(ctx, "user:1", a.DrawID, false)
	require.NoError(t, err)
	again, err := e.svc.RevealSeed(ctx, "user:1", a.DrawID, false)
	require.NoError(t, err)
	require.Equal(t, seedA, again)
	require.Equal(t, []string{"draw.commit", "draw.create", "draw.reveal_seed"}, drawAudit(t, e, a.DrawID), "revealed once")
}
