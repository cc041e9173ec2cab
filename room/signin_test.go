package room_test

import (
	"context"
	"testing"

	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "SIGN")
	nj, hf := s.Rooms[0], s.Rooms[1]
	require.Equal(t, "JS-NJ", nj.VenueCode)
	wang := e.committee.add("JS-NJ", "王建国", true)
	li := e.committee.add("JS-NJ", "李明", true)
	zhao := e.committee.add("JS-NJ", "赵强", false)
	chen := e.committee.add("AH-HF", "陈静", true)

	in := room.SignInInput{MemberID: wang, RoomID: nj.ID, Seat: 1, IDSuffix: suffix(wang)}
	_, err := e.svc.SignIn(ctx, staffNJ, s.ID, in)
	require.ErrorIs(t, err, room.ErrPhase, "not before sign-in opens")
	_, err = e.svc.Committee(ctx, staffNJ, s.ID, "")
	require.ErrorIs(t, err, room.ErrPhase, "the committee is sealed before sign-in")
	e.move(t, s.ID, room.PhaseSignin)

	cases := []struct {
		name  string
		actor room.Actor
		in    room.SignInInput
		want  error
		msg   string
	}{
		{"wrong suffix", staffNJ, room.SignInInput{MemberID: wang, RoomID: nj.ID, Seat: 1, IDSuffix: "999999"}, room.ErrInvalid, "身份证号后6位与登记信息不符"},
		{"malformed suffix", staffNJ, room.SignInInput{MemberID: wang, RoomID: nj.ID, Seat: 1, IDSuffix: "12"}, room.ErrInvalid, "后6位"},
		{"only the last four", staffNJ, room.SignInInput{MemberID: wang, RoomID: nj.ID, Seat: 1, IDSuffix: suffix(wang)[2:]}, room.ErrInvalid, "后6位"},
		{"staff of the other venue", staffHF, in, room.ErrForbidden, "本场地"},
		{"staff of no venue of the session", staffSH, in, room.ErrForbidden, ""},
		{"seat beyond the room", staffNJ, room.SignInInput{MemberID: wang, RoomID: nj.ID, Seat: 6, IDSuffix: suffix(wang)}, room.ErrInvalid, "1至5"},
		{"room of another session", staffNJ, room.SignInInput{MemberID: wang, RoomID: 999999, Seat: 1, IDSuffix: suffix(wang)}, room.ErrInvalid, "评标室"},
		{"member of the other venue", staffNJ, room.SignInInput{MemberID: chen, RoomID: nj.ID, Seat: 1, IDSuffix: suffix(chen)}, room.ErrInvalid, "名单"},
		{"member not confirmed", staffNJ, room.SignInInput{MemberID: zhao, RoomID: nj.ID, Seat: 1, IDSuffix: suffix(zhao)}, room.ErrInvalid, "尚未确认"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.SignIn(ctx, tc.actor, s.ID, tc.in)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.msg)
			list, err := e.svc.ListSignIns(ctx, s.ID)
			require.NoError(t, err)
			require.Empty(t, list, "nothing stored")
		})
	}
	require.Contains(t, e.actions(t, "session:"+s.IDString()), "signin.identity_mismatch", "the failed attempt is audited")

	si, err := e.svc.SignIn(ctx, staffNJ, s.ID, in)
	require.NoError(t, err)
	require.Equal(t, "王建国", si.MemberName)
	require.Equal(t, staffNJ.ID, si.CheckedBy)
	require.Equal(t, 6, si.IDSuffixLen)
	require.Equal(t, testStart, si.CheckedAt)

	_, err = e.svc.SignIn(ctx, staffNJ, s.ID, room.SignInInput{MemberID: li, RoomID: nj.ID, Seat: 1, IDSuffix: suffix(li)})
	require.ErrorIs(t, err, room.ErrConflict)
	require.ErrorContains(t, err, "该座位已有专家签到")
	_, err = e.svc.SignIn(ctx, staffNJ, s.ID, room.SignInInput{MemberID: wang, RoomID: nj.ID, Seat: 2, IDSuffix: suffix(wang)})
	require.ErrorIs(t, err, room.ErrConflict)
	require.ErrorContains(t, err, "该专家已签到")
	_, err = e.svc.SignIn(ctx, staffHF, s.ID, room.SignInInput{MemberID: chen, RoomID: hf.ID, Seat: 4, IDSuffix: suffix(chen)})
	require.NoError(t, err)

	// The committee view: staff see their own venue with seats.
	view, err := e.svc.Committee(ctx, staffNJ, s.ID, "")
	require.NoError(t, err)
	require.Len(t, view, 3)
	require.NotNil(t, view[0].SignIn)
	require.Equal(t, 1, view[0].SignIn.Seat)
	require.Nil(t, view[1].SignIn)
	_, err = e.svc.Committee(ctx, staffNJ, s.ID, "AH-HF")
	require.ErrorIs(t, err, room.ErrForbidden)
	all, err := e.svc.Committee(ctx, admin, s.ID, "")
	require.NoError(t, err)
	require.Len(t, all, 4)

	// Late arrival while evaluating; none once paused.
	e.move(t, s.ID, room.PhaseEvaluating)
	_, err = e.svc.SignIn(ctx, staffNJ, s.ID, room.SignInInput{MemberID: li, RoomID: nj.ID, Seat: 2, IDSuffix: suffix(li)})
	require.NoError(t, err)
	e.committee.confirm(zhao)
	e.move(t, s.ID, room.PhasePaused)
	_, err = e.svc.SignIn(ctx, staffNJ, s.ID, room.SignInInput{MemberID: zhao, RoomID: nj.ID, Seat: 3, IDSuffix: suffix(zhao)})
	require.ErrorIs(t, err, room.ErrPhase)
	list, err := e.svc.ListSignIns(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, list, 3)
}

func TestRecuseOnSite(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "RECUSE")
	nj := s.Rooms[0]
	wang := e.committee.add("JS-NJ", "王建国", true)
	chen := e.committee.add("AH-HF", "陈静", true)
	_, err := e.svc.RecuseOnSite(ctx, staffNJ, s.ID, wang, "与投标人存在利害关系")
	require.ErrorIs(t, err, room.ErrPhase)
	e.move(t, s.ID, room.PhaseSignin)
	_, err = e.svc.SignIn(ctx, staffNJ, s.ID, room.SignInInput{MemberID: wang, RoomID: nj.ID, Seat: 3, IDSuffix: suffix(wang)})
	require.NoError(t, err)

	_, err = e.svc.RecuseOnSite(ctx, staffNJ, s.ID, wang, " ")
	require.ErrorIs(t, err, room.ErrInvalid)
	_, err = e.svc.RecuseOnSite(ctx, staffNJ, s.ID, chen, "利害关系")
	require.ErrorIs(t, err, room.ErrInvalid, "not this venue's member")
	_, err = e.svc.RecuseOnSite(ctx, staffSH, s.ID, wang, "利害关系")
	require.ErrorIs(t, err, room.ErrForbidden)

	res, err := e.svc.RecuseOnSite(ctx, staffNJ, s.ID, wang, "与投标人存在利害关系")
	require.NoError(t, err)
	require.NotZero(t, res.ReleasedSignIn)
	require.NotZero(t, res.Replacement.MemberID)
	list, err := e.svc.ListSignIns(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NotNil(t, list[0].ReleasedAt)
	require.Contains(t, list[0].ReleaseReason, "与投标人存在利害关系")
	require.Contains(t, e.actions(t, "session:"+s.IDString()), "signin.recuse")

	// The seat is free again for the replacement once they confirm.
	e.committee.confirm(res.Replacement.MemberID)
	_, err = e.svc.SignIn(ctx, staffNJ, s.ID, room.SignInInput{MemberID: res.Replacement.MemberID, RoomID: nj.ID, Seat: 3,
		IDSuffix: suffix(res.Replacement.MemberID)})
	require.NoError(t, err)

	// When the pool refuses, the seat stays held.
	_, err = e.svc.SignIn(ctx, staffHF, s.ID, room.SignInInput{MemberID: chen, RoomID: s.Rooms[1].ID, Seat: 1, IDSuffix: suffix(chen)})
	require.NoError(t, err)
	e.committee.failRecuse = true
	_, err = e.svc.RecuseOnSite(ctx, staffHF, s.ID, chen, "利害关系")
	require.ErrorIs(t, err, room.ErrConflict)
	list, err = e.svc.ListSignIns(ctx, s.ID)
	require.NoError(t, err)
	for _, si := range list {
		if si.MemberID == chen {
			require.Nil(t, si.ReleasedAt)
		}
	}
	e.committee.failRecuse = false
	_, err = e.svc.RecuseOnSite(ctx, staffHF, s.ID, chen, "利害关系")
	require.NoError(t, err)
	_, err = e.svc.RecuseOnSite(ctx, admin, s.ID, chen, "再次回避")
	require.ErrorIs(t, err, room.ErrInvalid, "the in-test committee no longer lists a recused member")
}
