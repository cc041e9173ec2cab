package room_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

func TestCreateSessionValidatesAndAudits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good := room.SessionInput{Ref: "S-1", ProjectCode: "P1", ProjectName: "项目", StartsAt: testStart, EndsAt: testStart.Add(time.Hour),
		MainVenue: "JS-NJ", RemoteVenues: []string{"AH-HF"}}
	cases := []struct {
		name   string
		mutate func(*room.SessionInput)
		msg    string
	}{
		{"bad ref", func(in *room.SessionInput) { in.Ref = "有 空格" }, "评标会话编号"},
		{"no project", func(in *room.SessionInput) { in.ProjectName = " " }, "项目名称"},
		{"ends first", func(in *room.SessionInput) { in.EndsAt = in.StartsAt }, "结束时间"},
		{"main venue repeated", func(in *room.SessionInput) { in.RemoteVenues = []string{"JS-NJ"} }, "重复"},
		{"bad venue", func(in *room.SessionInput) { in.MainVenue = "" }, "主场"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			in.RemoteVenues = append([]string(nil), good.RemoteVenues...)
			tc.mutate(&in)
			_, err := e.svc.CreateSession(ctx, admin.ID, in)
			require.ErrorIs(t, err, room.ErrInvalid)
			require.ErrorContains(t, err, tc.msg)
		})
	}
	s, err := e.svc.CreateSession(ctx, admin.ID, good)
	require.NoError(t, err)
	require.Equal(t, room.PhaseScheduled, s.Phase)
	require.Equal(t, []string{"AH-HF"}, s.RemoteVenues)
	require.Empty(t, s.Rooms)
	_, err = e.svc.CreateSession(ctx, admin.ID, good)
	require.ErrorIs(t, err, room.ErrConflict)
	require.Equal(t, []string{"session.create"}, e.actions(t, "session:"+s.IDString()))

	_, err = e.svc.AddRoom(ctx, admin.ID, s.ID, room.RoomInput{VenueCode: "SH-PD", Name: "第三评标室", Seats: 3})
	require.ErrorIs(t, err, room.ErrInvalid)
	_, err = e.svc.AddRoom(ctx, admin.ID, s.ID, room.RoomInput{VenueCode: "JS-NJ", Name: "第一评标室", Seats: 0})
	require.ErrorIs(t, err, room.ErrInvalid)
	r, err := e.svc.AddRoom(ctx, admin.ID, s.ID, room.RoomInput{VenueCode: "JS-NJ", Name: "第一评标室", Seats: 5})
	require.NoError(t, err)
	_, err = e.svc.AddRoom(ctx, admin.ID, s.ID, room.RoomInput{VenueCode: "JS-NJ", Name: "第一评标室", Seats: 5})
	require.ErrorIs(t, err, room.ErrConflict)

	list, err := e.svc.ListSessions(ctx, room.SessionFilter{Venue: "AH-HF"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, r.ID, list[0].Rooms[0].ID)
	list, err = e.svc.ListSessions(ctx, room.SessionFilter{Venue: "SH-PD"})
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = e.svc.ListSessions(ctx, room.SessionFilter{Phase: "nope"})
	require.ErrorIs(t, err, room.ErrInvalid)
}

func TestPhaseTransitions(t *testing.T) {
	ctx := context.Background()
	illegal := []struct {
		name string
		path []room.Phase // legal moves first
		to   room.Phase
	}{
		{"scheduled to evaluating", nil, room.PhaseEvaluating},
		{"scheduled to finished", nil, room.PhaseFinished},
		{"scheduled to paused", nil, room.PhasePaused},
		{"signin to paused", []room.Phase{room.PhaseSignin}, room.PhasePaused},
		{"signin back to scheduled", []room.Phase{room.PhaseSignin}, room.PhaseScheduled},
		{"evaluating to signin", []room.Phase{room.PhaseSignin, room.PhaseEvaluating}, room.PhaseSignin},
		{"finished to evaluating", []room.Phase{room.PhaseSignin, room.PhaseEvaluating, room.PhaseFinished}, room.PhaseEvaluating},
		{"finished to aborted", []room.Phase{room.PhaseSignin, room.PhaseEvaluating, room.PhaseFinished}, room.PhaseAborted},
		{"aborted to signin", []room.Phase{room.PhaseAborted}, room.PhaseSignin},
	}
	e := newEnv(t)
	for i, tc := range illegal {
		t.Run(tc.name, func(t *testing.T) {
			s := e.session(t, "ILL-"+string(rune('A'+i)))
			s = e.move(t, s.ID, tc.path...)
			before := e.actions(t, "session:"+s.IDString())
			_, err := e.svc.ChangePhase(ctx, staffNJ, s.ID, room.PhaseChange{To: tc.to, Reason: "测试"})
			require.ErrorIs(t, err, room.ErrPhase)
			require.ErrorContains(t, err, "不能变更为")
			after, err := e.svc.GetSession(ctx, s.ID)
			require.NoError(t, err)
			require.Equal(t, s.Phase, after.Phase, "nothing changes")
			require.Equal(t, before, e.actions(t, "session:"+s.IDString()), "nothing audited")
		})
	}

	t.Run("full path, paused and back, audited", func(t *testing.T) {
		s := e.session(t, "PATH")
		e.move(t, s.ID, room.PhaseSignin, room.PhaseEvaluating, room.PhasePaused, room.PhaseEvaluating, room.PhasePaused, room.PhaseFinished)
		require.Equal(t, []string{"session.create", "session.add_room", "session.add_room", "session.phase", "session.phase",
			"session.phase", "session.phase", "session.phase", "session.phase"}, e.actions(t, "session:"+s.IDString()))
	})

	t.Run("who may change", func(t *testing.T) {
		s := e.session(t, "WHO")
		_, err := e.svc.ChangePhase(ctx, staffHF, s.ID, room.PhaseChange{To: room.PhaseSignin})
		require.ErrorIs(t, err, room.ErrForbidden)
		_, err = e.svc.ChangePhase(ctx, staffSH, s.ID, room.PhaseChange{To: room.PhaseSignin})
		require.ErrorIs(t, err, room.ErrForbidden)
		_, err = e.svc.ChangePhase(ctx, admin, s.ID, room.PhaseChange{To: room.PhaseAborted})
		require.ErrorIs(t, err, room.ErrInvalid, "abort needs a reason")
		_, err = e.svc.ChangePhase(ctx, admin, s.ID, room.PhaseChange{To: "later"})
		require.ErrorIs(t, err, room.ErrInvalid)
		_, err = e.svc.ChangePhase(ctx, admin, 999999, room.PhaseChange{To: room.PhaseSignin})
		require.ErrorIs(t, err, room.ErrNotFound)
		got, err := e.svc.ChangePhase(ctx, admin, s.ID, room.PhaseChange{To: room.PhaseAborted, Reason: "招标人撤回"})
		require.NoError(t, err)
		require.Equal(t, "招标人撤回", got.AbortReason)
		require.Nil(t, got.SealedAt)
	})

	t.Run("sign-in needs a draw and a room in every venue", func(t *testing.T) {
		s, err := e.svc.CreateSession(ctx, admin.ID, room.SessionInput{Ref: "NOROOM", DrawID: 7, ProjectCode: "P", ProjectName: "项目",
			StartsAt: testStart, EndsAt: testStart.Add(time.Hour), MainVenue: "JS-NJ", RemoteVenues: []string{"AH-HF"}})
		require.NoError(t, err)
		_, err = e.svc.AddRoom(ctx, admin.ID, s.ID, room.RoomInput{VenueCode: "JS-NJ", Name: "小会议室", Seats: 3})
		require.NoError(t, err)
		_, err = e.svc.ChangePhase(ctx, staffNJ, s.ID, room.PhaseChange{To: room.PhaseSignin})
		require.ErrorIs(t, err, room.ErrPhase)
		require.ErrorContains(t, err, "AH-HF 尚未配置评标室")
	})

	t.Run("a room runs one session at a time", func(t *testing.T) {
		a := e.session(t, "BUSY-A")
		b := e.session(t, "BUSY-B")
		// b also uses a's room in Nanjing.
		_, err := e.svc.AddRoom(ctx, admin.ID, b.ID, room.RoomInput{VenueCode: "JS-NJ", Name: "第一评标室BUSY-A", Seats: 5})
		require.NoError(t, err)
		e.move(t, a.ID, room.PhaseSignin)
		_, err = e.svc.ChangePhase(ctx, staffNJ, b.ID, room.PhaseChange{To: room.PhaseSignin})
		require.ErrorIs(t, err, room.ErrConflict)
		require.ErrorContains(t, err, "另一场进行中的评标")
		got, err := e.svc.GetSession(ctx, b.ID)
		require.NoError(t, err)
		require.Equal(t, room.PhaseScheduled, got.Phase)
		e.move(t, a.ID, room.PhaseEvaluating, room.PhaseFinished)
		e.move(t, b.ID, room.PhaseSignin)
	})
}
