package room_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room"
)

func TestSessionCounts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	got, err := e.svc.SessionCounts(ctx)
	require.NoError(t, err)
	require.Len(t, got, len(room.Phases))
	for _, p := range room.Phases {
		require.Zero(t, got[p], p)
	}
	a, b := e.session(t, "CNT1"), e.session(t, "CNT2")
	e.session(t, "CNT3")
	e.move(t, a.ID, room.PhaseSignin, room.PhaseEvaluating)
	e.move(t, b.ID, room.PhaseSignin)
	got, err = e.svc.SessionCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, map[room.Phase]int{room.PhaseScheduled: 1, room.PhaseSignin: 1, room.PhaseEvaluating: 1,
		room.PhasePaused: 0, room.PhaseFinished: 0, room.PhaseAborted: 0}, got)
}
