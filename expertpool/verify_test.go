package expertpool_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/stretchr/testify/require"
)

// revealedDraw makes a three-venue draw with a reserve promotion and a
// replacement round, ends the session and reveals the seed.
func revealedDraw(t *testing.T, e *env) int64 {
	t.Helper()
	project := e.addProject(t)
	e.addExperts(t, 6, fixExpert{Region: "110105"})
	e.addExperts(t, 3, fixExpert{Region: "310104"})
	e.addExperts(t, 3, fixExpert{Region: "440103"})
	ctx := context.Background()
	res, err := e.svc.CreateDraw(ctx, "user:1", threeVenues(project, sessionStart))
	require.NoError(t, err)
	members := e.notifiedMembers(t, res.DrawID)
	for _, m := range members[:2] { // main venue: reserve first, then round 1
		_, err := e.svc.Answer(ctx, expertpool.AnswerInput{MemberID: m, Accept: false, Reason: "时间冲突", Channel: expertpool.ChannelPhone, Actor: "user:2"})
		require.NoError(t, err)
	}
	_, err = e.svc.Answer(ctx, expertpool.AnswerInput{MemberID: members[4], Accept: false, Reason: "出差", Channel: expertpool.ChannelPhone, Actor: "user:2"})
	require.NoError(t, err) // remote venue: round 1 of its own quota
	e.clock.Set(sessionStart.Add(4 * time.Hour))
	_, err = e.svc.RevealSeed(ctx, "user:1", res.DrawID, false)
	require.NoError(t, err)
	return res.DrawID
}

func TestVerifyReplaysARevealedDraw(t *testing.T) {
	e := newEnv(t, nil)
	drawID := revealedDraw(t, e)
	ctx := context.Background()
	rep, err := e.svc.VerifyDraw(ctx, drawID)
	require.NoError(t, err)
	require.True(t, rep.OK, rep.Mismatch)
	require.Equal(t, 5, rep.Rounds, "three quotas' round 0 and two replacement rounds")
	require.Equal(t, 8, rep.Members, "six drawn at first (one reserve), two replacements")

	// Offline: export, write as JSON, read back, verify without a database.
	rec, err := e.svc.ExportDrawRecord(ctx, drawID)
	require.NoError(t, err)
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	var back expertpool.DrawRecord
	require.NoError(t, json.Unmarshal(b, &back))
	require.True(t, expertpool.VerifyRecord(back).OK)
}

func TestVerifyDetectsTampering(t *testing.T) {
	cases := []struct {
		name     string
		tamper   func(t *testing.T, e *env, drawID int64)
		mismatch string
	}{
		{"changed seed", func(t *testing.T, e *env, drawID int64) {
			e.exec(t, `UPDATE expertpool.draws SET seed_revealed = sha256(seed_revealed) WHERE id = $1`, drawID)
		}, "commitment"},
		{"candidate removed from a list", func(t *testing.T, e *env, drawID int64) {
			e.exec(t, `UPDATE expertpool.rounds SET candidates = candidates[2:] WHERE draw_id = $1 AND round = 0
				AND quota_id = (SELECT min(quota_id) FROM expertpool.rounds WHERE draw_id = $1)`, drawID)
		}, "stored hash"},
		{"list and its stored hash rewritten", func(t *testing.T, e *env, drawID int64) {
			// Only the audit log, written before the choice, gives it away.
			var id int64
			var cands []int64
			require.NoError(t, e.db.QueryRow(context.Background(), `SELECT id, candidates FROM expertpool.rounds
				WHERE draw_id = $1 AND round = 1 LIMIT 1`, drawID).Scan(&id, &cands))
			h, err := draw.ListHash(cands[1:], nil)
			require.NoError(t, err)
			e.exec(t, `UPDATE expertpool.rounds SET candidates = $2, list_hash = $3 WHERE id = $1`, id, cands[1:], h)
		}, "audit log"},
		{"member replaced by someone else", func(t *testing.T, e *env, drawID int64) {
			// Someone holding the key re-seals another expert into a
			// member row: the replay still shows it.
			var member, round int64
			var pos int
			require.NoError(t, e.db.QueryRow(context.Background(), `SELECT m.id, m.round_id, m.position FROM expertpool.members m
				JOIN expertpool.rounds r ON r.id = m.round_id WHERE m.draw_id = $1 AND r.round = 1 LIMIT 1`, drawID).Scan(&member, &round, &pos))
			other := e.addExpert(t, fixExpert{})
			sealed := e.keys.Seal([]byte(strconv.FormatInt(other, 10)), []byte(fmt.Sprintf("expertpool/member:%d:%d:%d", drawID, round, pos)))
			e.exec(t, `UPDATE expertpool.members SET expert_sealed = $2 WHERE id = $1`, member, sealed)
		}, "replay chose"},
		{"sealed member moved to another position", func(t *testing.T, e *env, drawID int64) {
			e.exec(t, `UPDATE expertpool.members SET position = 100 WHERE draw_id = $1 AND position = 0
				AND round_id = (SELECT min(round_id) FROM expertpool.members WHERE draw_id = $1)`, drawID)
		}, "open member"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			drawID := revealedDraw(t, e)
			tc.tamper(t, e, drawID)
			rep, err := e.svc.VerifyDraw(context.Background(), drawID)
			if tc.mismatch == "open member" {
				// A sealed member copied elsewhere no longer opens.
				require.ErrorContains(t, err, tc.mismatch)
				return
			}
			require.NoError(t, err)
			require.False(t, rep.OK)
			require.Contains(t, rep.Mismatch, tc.mismatch)
		})
	}
}

func TestVerifyFailedDraw(t *testing.T) {
	e := newEnv(t, nil)
	project := e.addProject(t)
	e.addExperts(t, 3, fixExpert{})
	ctx := context.Background()
	_, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart, "A0101", "11", 5))
	var fe *expertpool.FunnelError
	require.ErrorAs(t, err, &fe)
	_, err = e.svc.RevealSeed(ctx, "user:9", fe.DrawID, true)
	require.NoError(t, err)
	rep, err := e.svc.VerifyDraw(ctx, fe.DrawID)
	require.NoError(t, err)
	require.True(t, rep.OK, rep.Mismatch)
	require.Zero(t, rep.Members)
}
