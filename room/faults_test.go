package room_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

func TestFaultBeforeStart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "F1")
	_, err := e.svc.MediaFailed(ctx, staffSH, s.ID, "")
	require.ErrorIs(t, err, room.ErrForbidden)
	f, err := e.svc.MediaFailed(ctx, staffHF, s.ID, "合肥专线中断")
	require.NoError(t, err)
	require.Equal(t, room.FaultBeforeStart, f.Kind)
	require.Equal(t, testStart.Add(2*time.Hour), f.Deadline)
	_, err = e.svc.MediaFailed(ctx, staffNJ, s.ID, "")
	require.ErrorIs(t, err, room.ErrConflict, "one open fault at a time")

	e.clock.Advance(30 * time.Minute)
	clocks, err := e.svc.Clocks(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, clocks, 1)
	require.Equal(t, 90*time.Minute, clocks[0].Remaining)
	require.Equal(t, int64(90*60), clocks[0].RemainingSeconds)
	require.Equal(t, room.ActionTendererDecides, clocks[0].Action)
	require.Contains(t, clocks[0].Consequence, "招标人决定")
	require.False(t, clocks[0].Overdue)

	e.move(t, s.ID, room.PhaseSignin)
	_, err = e.svc.ChangePhase(ctx, staffNJ, s.ID, room.PhaseChange{To: room.PhaseEvaluating})
	require.ErrorIs(t, err, room.ErrPhase, "no evaluation while media is down")

	// Past the wait the clock shows overdue, and the sweep leaves the
	// decision to the tenderer.
	e.clock.Advance(2 * time.Hour)
	clocks, err = e.svc.Clocks(ctx, s.ID)
	require.NoError(t, err)
	require.True(t, clocks[0].Overdue)
	require.Zero(t, clocks[0].Remaining)
	n, err := e.svc.ExpireFaults(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	restored, err := e.svc.MediaRestored(ctx, staffHF, s.ID)
	require.NoError(t, err)
	require.NotNil(t, restored.RestoredAt)
	clocks, err = e.svc.Clocks(ctx, s.ID)
	require.NoError(t, err)
	require.Empty(t, clocks)
	_, err = e.svc.MediaRestored(ctx, staffHF, s.ID)
	require.ErrorIs(t, err, room.ErrNotFound)
	e.move(t, s.ID, room.PhaseEvaluating)
	require.Equal(t, []string{"fault.start", "fault.restore"}, filter(e.actions(t, "session:"+s.IDString()), "fault."))
}

func TestFaultDuringEvaluationAbortsAndSeals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "F2")
	e.move(t, s.ID, room.PhaseSignin, room.PhaseEvaluating)
	f, err := e.svc.MediaFailed(ctx, staffNJ, s.ID, "主场网络中断")
	require.NoError(t, err)
	require.Equal(t, room.FaultDuringEvaluation, f.Kind)
	require.Equal(t, testStart.Add(4*time.Hour), f.Deadline)
	e.move(t, s.ID, room.PhasePaused)

	e.clock.Advance(4*time.Hour - time.Second)
	n, err := e.svc.ExpireFaults(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "not before the deadline")
	clocks, err := e.svc.Clocks(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, time.Second, clocks[0].Remaining)
	require.Equal(t, room.ActionAbortAndSeal, clocks[0].Action)
	require.Contains(t, clocks[0].Consequence, "4小时内未恢复的，评标中止，资料封存")

	e.clock.Advance(time.Second)
	n, err = e.svc.ExpireFaults(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got, err := e.svc.GetSession(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, room.PhaseAborted, got.Phase)
	require.NotNil(t, got.SealedAt)
	require.Equal(t, e.clock.Now(), *got.SealedAt)
	require.Contains(t, got.AbortReason, "资料封存")
	n, err = e.svc.ExpireFaults(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "once only")
	clocks, err = e.svc.Clocks(ctx, s.ID)
	require.NoError(t, err)
	require.Empty(t, clocks)
	require.Equal(t, []string{"fault.start", "fault.expire"}, filter(e.actions(t, "session:"+s.IDString()), "fault."))
	entries := e.actions(t, "session:"+s.IDString())
	require.Equal(t, "session.phase", entries[len(entries)-1])
}

func TestFaultRestoredLateStillAborts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "F3")
	e.move(t, s.ID, room.PhaseSignin, room.PhaseEvaluating)
	_, err := e.svc.MediaFailed(ctx, staffHF, s.ID, "")
	require.NoError(t, err)
	e.clock.Advance(3 * time.Hour)
	_, err = e.svc.MediaRestored(ctx, staffHF, s.ID)
	require.NoError(t, err, "within 4 hours")
	got, err := e.svc.GetSession(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, room.PhaseEvaluating, got.Phase)

	_, err = e.svc.MediaFailed(ctx, staffHF, s.ID, "再次中断")
	require.NoError(t, err)
	e.clock.Advance(5 * time.Hour)
	_, err = e.svc.MediaRestored(ctx, staffHF, s.ID)
	require.ErrorIs(t, err, room.ErrPhase)
	require.ErrorContains(t, err, "评标已中止")
	got, err = e.svc.GetSession(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, room.PhaseAborted, got.Phase)
	require.NotNil(t, got.SealedAt)
	_, err = e.svc.MediaFailed(ctx, staffHF, s.ID, "")
	require.ErrorIs(t, err, room.ErrPhase)
}

func TestFaultRulesConfigurable(t *testing.T) {
	e := newEnv(t)
	svc, err := room.New(room.Params{DB: e.db, Audit: e.audit, Committee: e.committee, Now: e.clock.Now,
		Faults: room.FaultRules{DuringEvalRestore: 90 * time.Minute}})
	require.NoError(t, err)
	require.Equal(t, 2*time.Hour, svc.FaultRules().BeforeStartWait)
	s := e.session(t, "F4")
	e.move(t, s.ID, room.PhaseSignin, room.PhaseEvaluating)
	f, err := svc.MediaFailed(context.Background(), staffNJ, s.ID, "")
	require.NoError(t, err)
	require.Equal(t, testStart.Add(90*time.Minute), f.Deadline)
	clocks, err := svc.Clocks(context.Background(), s.ID)
	require.NoError(t, err)
	require.Contains(t, clocks[0].Consequence, "90分钟")
	_, err = room.New(room.Params{DB: e.db, Audit: e.audit})
	require.ErrorIs(t, err, room.ErrMissingParam)
}

// filter keeps the strings starting with prefix.
func filter(list []string, prefix string) []string {
	var out []string
	for _, s := range list {
		if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
			out = append(out, s)
		}
	}
	return out
}
