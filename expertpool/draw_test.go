package expertpool_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

func TestCreateDrawRejectsBadRequests(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 6, fixExpert{})
	cases := []struct {
		name    string
		change  func(r *expertpool.DrawRequest)
		message string
	}{
		{"no quota", func(r *expertpool.DrawRequest) { r.Quotas = nil }, "抽取名额不能为空"},
		{"empty quota", func(r *expertpool.DrawRequest) { r.Quotas[0].Count = 0 }, "人数必须大于0"},
		{"start in the past", func(r *expertpool.DrawRequest) {
			r.StartsAt = testStart.Add(-time.Hour)
			r.EndsAt = testStart.Add(time.Hour)
		}, "开始时间必须晚于当前时间"},
		{"end before start", func(r *expertpool.DrawRequest) { r.EndsAt = r.StartsAt.Add(-time.Minute) }, "结束时间必须晚于开始时间"},
		{"even committee", func(r *expertpool.DrawRequest) { r.Quotas[0].Count = 4 }, "评标委员会组成不符合规则"},
		{"committee too small", func(r *expertpool.DrawRequest) { r.Quotas[0].Count = 3 }, "评标委员会组成不符合规则"},
		{"too many tenderer representatives", func(r *expertpool.DrawRequest) { r.TendererReps = 4 }, "评标委员会组成不符合规则"},
		{"unknown specialty", func(r *expertpool.DrawRequest) { r.Quotas[0].SpecialtyCode = "Z99" }, "专业代码 Z99 不存在"},
		{"no main venue", func(r *expertpool.DrawRequest) { r.Venues[0].Main = false }, "必须有且仅有一个主场"},
		{"two main venues", func(r *expertpool.DrawRequest) {
			r.Venues = append(r.Venues, expertpool.Venue{Code: "v2", Name: "上海", Region: "310101", Main: true})
		}, "必须有且仅有一个主场"},
		{"quota at an unknown venue", func(r *expertpool.DrawRequest) { r.Quotas[0].VenueCode = "nowhere" }, "场地 nowhere 不存在"},
		{"bad region prefix", func(r *expertpool.DrawRequest) { r.Quotas[0].RegionPrefix = "110" }, "地区范围"},
		{"sign-in after start", func(r *expertpool.DrawRequest) { r.SigninOpensAt = r.StartsAt.Add(time.Minute) }, "签到开始时间"},
		{"no session", func(r *expertpool.DrawRequest) { r.SessionRef = " " }, "场次编号"},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := oneVenue(project, sessionStart, "A0101", "11", 5)
			tc.change(&req)
			_, err := e.svc.CreateDraw(ctx, "user:1", req)
			require.ErrorIs(t, err, expertpool.ErrInvalid)
			require.Contains(t, err.Error(), tc.message)
		})
	}
	var draws int
	require.NoError(t, e.db.QueryRow(ctx, `SELECT count(*) FROM expertpool.draws`).Scan(&draws))
	require.Zero(t, draws, "bad requests change nothing")
	entries, err := e.audit.List(ctx, auditFilterPrefix("draw:"))
	require.NoError(t, err)
	require.Empty(t, entries)

	_, err = e.svc.CreateDraw(ctx, "user:1", oneVenue(project+100, sessionStart, "A0101", "11", 5))
	require.ErrorIs(t, err, expertpool.ErrNotFound, "unknown project")
}

func TestCreateDrawBooksNotifiesAndAudits(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 6, fixExpert{Region: "110105"})
	e.addExperts(t, 3, fixExpert{Region: "310104"})
	e.addExperts(t, 3, fixExpert{Region: "440103"})
	ctx := context.Background()
	req := threeVenues(project, sessionStart)
	res, err := e.svc.CreateDraw(ctx, "user:7", req)
	require.NoError(t, err)
	require.Equal(t, "filled", res.State)
	require.Equal(t, 5, res.Notified)
	require.Equal(t, 1, res.ReservesDrawn)
	require.Len(t, res.Commitment, 32)
	require.Len(t, res.Quotas, 3)
	require.Equal(t, []int{6, 3, 3}, []int{res.Quotas[0].Candidates, res.Quotas[1].Candidates, res.Quotas[2].Candidates})

	var members, reserves, bookings, invites int
	var deadline time.Time
	require.NoError(t, e.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'notified'), count(*) FILTER (WHERE reserve AND state = 'reserve'),
		(SELECT count(*) FROM expertpool.bookings), (SELECT count(*) FROM expertpool.outbox WHERE kind = 'invite'),
		max(deadline) FROM expertpool.members WHERE draw_id = $1`, res.DrawID).Scan(&members, &reserves, &bookings, &invites, &deadline))
	require.Equal(t, []int{5, 1, 5, 5}, []int{members, reserves, bookings, invites})
	require.Equal(t, testStart.Add(30*time.Minute), deadline.UTC())

	require.Equal(t, []string{"draw.commit", "draw.create"}, drawAudit(t, e, res.DrawID))
	entries, err := e.audit.List(ctx, auditFilterPrefix("draw:"))
	require.NoError(t, err)
	for _, en := range entries {
		require.NotContains(t, string(en.Detail), "专家", "audit names no expert")
	}
	// The commit entry holds the commitment and every list hash.
	detail := string(entries[0].Detail)
	require.Contains(t, detail, res.Commitment.String())
	for _, q := range res.Quotas {
		require.Contains(t, detail, q.ListHash.String())
	}
	require.True(t, strings.Contains(detail, `"candidates":6`))
}

// TestConcurrentDrawsNeverDoubleBook runs 50 draws at once for
// overlapping sessions over a pool of 30 experts. Each succeeds or fails
// cleanly, and no expert is booked twice at the same time.
func TestConcurrentDrawsNeverDoubleBook(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 30, fixExpert{})
	ctx := context.Background()
	type outcome struct {
		res expertpool.DrawResult
		err error
	}
	out := make([]outcome, 50)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Four-hour sessions starting every 20 minutes: most overlap.
			req := oneVenue(project, sessionStart.Add(time.Duration(i)*20*time.Minute), "A0101", "11", 5)
			out[i].res, out[i].err = e.svc.CreateDraw(ctx, "user:1", req)
		}()
	}
	wg.Wait()
	filled, unfilled, conflict, retried := 0, 0, 0, 0
	for i, o := range out {
		retried += len(o.res.AbortedDrawIDs)
		switch {
		case o.err == nil:
			filled++
			require.Equal(t, "filled", o.res.State)
		case errors.Is(o.err, expertpool.ErrQuotaUnfilled):
			unfilled++
		case errors.Is(o.err, expertpool.ErrConflict):
			conflict++
		default:
			t.Fatalf("draw %d: unexpected error %v", i, o.err)
		}
	}
	t.Logf("filled %d, unfilled %d, gave up after collisions %d, attempts aborted by collisions %d", filled, unfilled, conflict, retried)
	require.Positive(t, filled)
	var doubles, bookings, filledDraws, orphanOutbox int
	require.NoError(t, e.db.QueryRow(ctx, `SELECT count(*) FROM expertpool.bookings a JOIN expertpool.bookings b
		ON a.expert_key = b.expert_key AND a.member_id < b.member_id AND a.during && b.during`).Scan(&doubles))
	require.Zero(t, doubles, "an expert booked twice at once")
	require.NoError(t, e.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM expertpool.bookings),
		(SELECT count(*) FROM expertpool.draws WHERE state = 'filled'),
		(SELECT count(*) FROM expertpool.outbox o JOIN expertpool.members m ON m.id = o.member_id
		 JOIN expertpool.draws d ON d.id = m.draw_id WHERE d.state <> 'filled')`).Scan(&bookings, &filledDraws, &orphanOutbox))
	require.Equal(t, filled, filledDraws)
	require.Equal(t, 5*filled, bookings)
	require.Zero(t, orphanOutbox, "failed attempts notify nobody")
	// Every attempt, including failed and aborted ones, is audited.
	var unaudited int
	require.NoError(t, e.db.QueryRow(ctx, `SELECT count(*) FROM expertpool.draws d WHERE NOT EXISTS
		(SELECT 1 FROM audit.entries a WHERE a.object = 'draw:' || d.id AND a.action = 'draw.commit')`).Scan(&unaudited))
	require.Zero(t, unaudited)
}
