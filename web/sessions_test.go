package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

// sessionFixture is a session S1 on a real draw: main venue V1 (4
// members, 第一评标室 with 5 seats), remote venue V2 (1 member,
// 第二评标室 with 4 seats), with clients for every role.
type sessionFixture struct {
	e                               *sessionEnv
	admin, staff1, staff2, staff3   *client
	supervisor, evaluator, stranger *client
	archivist                       *client
	drawID                          int64
	startsAt                        time.Time
	sess                            room.Session
	path                            string
	room1, room2                    room.Room
	membersV1, membersV2            []int64
}

func newSessionFixture(t *testing.T) *sessionFixture {
	t.Helper()
	e := newSessionEnv(t)
	f := &sessionFixture{e: e}
	f.admin, _ = e.loginAt(t, "root", auth.RoleAdmin, "")
	f.staff1, _ = e.loginAt(t, "staff-v1", auth.RoleStaff, "V1")
	f.staff2, _ = e.loginAt(t, "staff-v2", auth.RoleStaff, "V2")
	f.staff3, _ = e.loginAt(t, "staff-v3", auth.RoleStaff, "V3")
	f.supervisor, _ = e.loginAt(t, "jiandu", auth.RoleSupervisor, "")
	f.evaluator, _ = e.loginAt(t, "pingwei", auth.RoleEvaluator, "S1")
	f.stranger, _ = e.loginAt(t, "pingwei2", auth.RoleEvaluator, "S2")
	f.archivist, _ = e.loginAt(t, "dangan", auth.RoleArchivist, "")

	req := drawSetup(t, e.env, f.admin, 7)
	var res expertpool.DrawResult
	f.admin.call(http.MethodPost, "/api/draws", req, http.StatusCreated, &res)
	f.drawID, f.startsAt = res.DrawID, req["starts_at"].(time.Time)
	for _, id := range e.members(t, res.DrawID) {
		venue, err := e.pool.MemberVenue(context.Background(), id)
		require.NoError(t, err)
		if venue == "V1" {
			f.membersV1 = append(f.membersV1, id)
		} else {
			f.membersV2 = append(f.membersV2, id)
		}
	}
	require.Len(t, f.membersV1, 4)
	require.Len(t, f.membersV2, 1)

	in := map[string]any{"ref": "S1", "draw_id": f.drawID, "project_code": "NJ-DRAW-1", "project_name": "南京市某小学改扩建工程施工",
		"starts_at": f.startsAt, "ends_at": f.startsAt.Add(3 * time.Hour), "main_venue": "V1", "remote_venues": []string{"V2"}}
	f.staff1.fail(http.MethodPost, "/api/sessions", in, http.StatusForbidden, "forbidden")
	f.admin.call(http.MethodPost, "/api/sessions", in, http.StatusCreated, &f.sess)
	f.admin.fail(http.MethodPost, "/api/sessions", in, http.StatusConflict, "conflict")
	f.path = "/api/sessions/" + itoa(f.sess.ID)
	f.staff1.fail(http.MethodPost, f.path+"/rooms", map[string]any{"venue_code": "V1", "name": "第一评标室", "seats": 5}, http.StatusForbidden, "forbidden")
	f.admin.call(http.MethodPost, f.path+"/rooms", map[string]any{"venue_code": "V1", "name": "第一评标室", "seats": 5}, http.StatusCreated, &f.room1)
	f.admin.call(http.MethodPost, f.path+"/rooms", map[string]any{"venue_code": "V2", "name": "第二评标室", "seats": 4}, http.StatusCreated, &f.room2)
	got := f.admin.fail(http.MethodPost, f.path+"/rooms", map[string]any{"venue_code": "V3", "name": "第三评标室", "seats": 4}, http.StatusUnprocessableEntity, "invalid")
	require.Contains(t, got.Error.Message, "不属于本场评标")
	return f
}

// suffixOf returns the last six characters of the identity number of the
// expert behind member, found among the numbers drawSetup imported.
func (f *sessionFixture) suffixOf(t *testing.T, member int64) string {
	t.Helper()
	for _, i := range []int{100, 101, 102, 103, 104, 105, 106, 500, 501, 502} {
		n := idNumber(i)
		ok, err := f.e.pool.CheckIDSuffix(context.Background(), member, n[len(n)-6:])
		require.NoError(t, err)
		if ok {
			return n[len(n)-6:]
		}
	}
	t.Fatalf("no identity number for member %d", member)
	return ""
}

// openSignin has every member confirm by phone, moves the clock to ten
// minutes before the start (the pool unseals the committee), logs
// everyone in again and opens sign-in.
func (f *sessionFixture) openSignin(t *testing.T) {
	t.Helper()
	for _, id := range f.membersV1 {
		f.staff1.call(http.MethodPost, "/api/members/"+itoa(id)+"/answer", map[string]any{"accept": true}, http.StatusOK, nil)
	}
	f.staff2.call(http.MethodPost, "/api/members/"+itoa(f.membersV2[0])+"/answer", map[string]any{"accept": true}, http.StatusOK, nil)
	f.e.clock.Set(f.startsAt.Add(-10 * time.Minute))
	for _, c := range []*client{f.admin, f.staff1, f.staff2, f.staff3, f.supervisor, f.evaluator, f.stranger, f.archivist} {
		c.relogin()
	}
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "signin"}, http.StatusOK, &f.sess)
}

func (f *sessionFixture) auditActions(t *testing.T, object string) []string {
	t.Helper()
	entries, err := f.e.audit.List(context.Background(), audit.Filter{Object: object})
	require.NoError(t, err)
	var out []string
	for _, en := range entries {
		out = append(out, en.Action)
	}
	return out
}

func TestSessionsReadAccess(t *testing.T) {
	f := newSessionFixture(t)
	var list struct {
		Items []room.Session
		Total int
	}
	f.staff1.call(http.MethodGet, "/api/sessions", nil, http.StatusOK, &list)
	require.Equal(t, 1, list.Total)
	require.Len(t, list.Items[0].Rooms, 2)
	f.staff3.call(http.MethodGet, "/api/sessions", nil, http.StatusOK, &list)
	require.Zero(t, list.Total, "staff see their venue's sessions only")
	f.staff3.fail(http.MethodGet, "/api/sessions?venue=V1", nil, http.StatusForbidden, "forbidden")
	f.stranger.call(http.MethodGet, "/api/sessions", nil, http.StatusOK, &list)
	require.Zero(t, list.Total, "evaluators see their own session only")
	f.supervisor.call(http.MethodGet, "/api/sessions?phase=scheduled", nil, http.StatusOK, &list)
	require.Equal(t, 1, list.Total)
	f.supervisor.fail(http.MethodGet, "/api/sessions?phase=later", nil, http.StatusUnprocessableEntity, "invalid")
	f.archivist.fail(http.MethodGet, "/api/sessions", nil, http.StatusForbidden, "forbidden")

	cases := []struct {
		name   string
		c      *client
		status int
	}{
		{"admin", f.admin, http.StatusOK},
		{"supervisor", f.supervisor, http.StatusOK},
		{"staff of the main venue", f.staff1, http.StatusOK},
		{"staff of the remote venue", f.staff2, http.StatusOK},
		{"staff of another venue", f.staff3, http.StatusForbidden},
		{"its evaluator", f.evaluator, http.StatusOK},
		{"another session's evaluator", f.stranger, http.StatusForbidden},
		{"archivist", f.archivist, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := tc.c.raw(http.MethodGet, f.path, nil)
			require.Equal(t, tc.status, status, string(body))
		})
	}
	f.admin.fail(http.MethodGet, "/api/sessions/999999", nil, http.StatusNotFound, "not_found")
}

func TestSessionPhasesAPI(t *testing.T) {
	f := newSessionFixture(t)
	cases := []struct {
		name   string
		c      *client
		body   map[string]string
		status int
		code   string
	}{
		{"remote venue staff", f.staff2, map[string]string{"phase": "signin"}, http.StatusForbidden, "forbidden"},
		{"staff of another venue", f.staff3, map[string]string{"phase": "signin"}, http.StatusForbidden, "forbidden"},
		{"supervisor", f.supervisor, map[string]string{"phase": "signin"}, http.StatusForbidden, "forbidden"},
		{"skip sign-in", f.staff1, map[string]string{"phase": "evaluating"}, http.StatusConflict, "phase"},
		{"finish before starting", f.staff1, map[string]string{"phase": "finished"}, http.StatusConflict, "phase"},
		{"unknown phase", f.staff1, map[string]string{"phase": "later"}, http.StatusUnprocessableEntity, "invalid"},
		{"abort without reason", f.staff1, map[string]string{"phase": "aborted"}, http.StatusUnprocessableEntity, "invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.fail(http.MethodPost, f.path+"/phase", tc.body, tc.status, tc.code)
			var s room.Session
			f.admin.call(http.MethodGet, f.path, nil, http.StatusOK, &s)
			require.Equal(t, room.PhaseScheduled, s.Phase, "nothing changed")
		})
	}
	got := f.staff1.fail(http.MethodPost, f.path+"/phase", map[string]string{"phase": "evaluating"}, http.StatusConflict, "phase")
	require.Contains(t, got.Error.Message, "不能变更为")
	require.Equal(t, []string{"session.create", "session.add_room", "session.add_room"}, f.auditActions(t, "session:"+itoa(f.sess.ID)))

	f.openSignin(t)
	require.Equal(t, room.PhaseSignin, f.sess.Phase)
	for _, p := range []string{"evaluating", "paused", "evaluating", "finished"} {
		f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": p}, http.StatusOK, &f.sess)
		require.Equal(t, room.Phase(p), f.sess.Phase)
	}
	f.admin.fail(http.MethodPost, f.path+"/phase", map[string]string{"phase": "aborted", "reason": "x"}, http.StatusConflict, "phase")
}

func TestSignInAPI(t *testing.T) {
	f := newSessionFixture(t)
	f.staff1.fail(http.MethodGet, f.path+"/committee", nil, http.StatusConflict, "phase")

	// Sign-in opened early, while the pool still seals the committee.
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "signin"}, http.StatusOK, nil)
	got := f.staff1.fail(http.MethodGet, f.path+"/committee", nil, http.StatusConflict, "phase")
	require.Contains(t, got.Error.Message, "密封")
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "aborted", "reason": "测试：重新安排"}, http.StatusOK, nil)
	f = newSessionFixture(t)
	f.openSignin(t)

	var view struct {
		Items []room.CommitteeEntry
		Total int
	}
	f.staff1.call(http.MethodGet, f.path+"/committee", nil, http.StatusOK, &view)
	require.Len(t, view.Items, 4, "staff see their own venue")
	for _, m := range view.Items {
		require.Equal(t, "V1", m.VenueCode)
		require.True(t, m.SeatReady)
		require.Nil(t, m.SignIn)
		require.Len(t, m.IDNumberMasked, 18)
		require.Equal(t, strings.Repeat("*", 12), m.IDNumberMasked[6:], "the list must not give away the digits staff check")
	}
	f.staff1.fail(http.MethodGet, f.path+"/committee?venue=V2", nil, http.StatusForbidden, "forbidden")
	f.supervisor.fail(http.MethodGet, f.path+"/committee", nil, http.StatusForbidden, "forbidden")
	f.admin.call(http.MethodGet, f.path+"/committee", nil, http.StatusOK, &view)
	require.Len(t, view.Items, 5)

	m1, m2 := f.membersV1[0], f.membersV1[1]
	s1 := f.suffixOf(t, m1)
	wrong := []byte(s1)
	wrong[5] = '0' + (wrong[5]-'0'+1)%10
	if s1[5] == 'X' {
		wrong[5] = '0'
	}
	signins := f.path + "/signins"
	got = f.staff1.fail(http.MethodPost, signins, map[string]any{"member_id": m1, "room_id": f.room1.ID, "seat": 1, "id_suffix": string(wrong)},
		http.StatusUnprocessableEntity, "invalid")
	require.Equal(t, "身份证号后6位与登记信息不符，未签到", got.Error.Message)
	require.Equal(t, "id_suffix", got.Error.Field, "shown beside the suffix field")
	var seats struct {
		Items []room.SignIn
		Total int
	}
	f.supervisor.call(http.MethodGet, signins, nil, http.StatusOK, &seats)
	require.Zero(t, seats.Total, "nothing stored")
	require.Contains(t, f.auditActions(t, "session:"+itoa(f.sess.ID)), "signin.identity_mismatch")

	f.staff2.fail(http.MethodPost, signins, map[string]any{"member_id": m1, "room_id": f.room1.ID, "seat": 1, "id_suffix": s1},
		http.StatusForbidden, "forbidden")
	f.staff3.fail(http.MethodPost, signins, map[string]any{"member_id": m1, "room_id": f.room1.ID, "seat": 1, "id_suffix": s1},
		http.StatusForbidden, "forbidden")
	got = f.staff1.fail(http.MethodPost, signins, map[string]any{"member_id": m1, "room_id": f.room1.ID, "seat": 6, "id_suffix": s1},
		http.StatusUnprocessableEntity, "invalid")
	require.Equal(t, "seat", got.Error.Field)
	f.staff1.fail(http.MethodPost, signins, map[string]any{"member_id": f.membersV2[0], "room_id": f.room1.ID, "seat": 1,
		"id_suffix": f.suffixOf(t, f.membersV2[0])}, http.StatusUnprocessableEntity, "invalid")

	var si room.SignIn
	f.staff1.call(http.MethodPost, signins, map[string]any{"member_id": m1, "room_id": f.room1.ID, "seat": 1, "id_suffix": s1},
		http.StatusCreated, &si)
	require.Equal(t, 1, si.Seat)
	require.Equal(t, 6, si.IDSuffixLen)
	require.NotEmpty(t, si.MemberName)
	got = f.staff1.fail(http.MethodPost, signins, map[string]any{"member_id": m2, "room_id": f.room1.ID, "seat": 1, "id_suffix": f.suffixOf(t, m2)},
		http.StatusConflict, "conflict")
	require.Equal(t, "该座位已有专家签到", got.Error.Message)
	f.staff1.call(http.MethodPost, signins, map[string]any{"member_id": m2, "room_id": f.room1.ID, "seat": 2, "id_suffix": f.suffixOf(t, m2)},
		http.StatusCreated, nil)
	f.staff2.call(http.MethodPost, signins, map[string]any{"member_id": f.membersV2[0], "room_id": f.room2.ID, "seat": 1,
		"id_suffix": f.suffixOf(t, f.membersV2[0])}, http.StatusCreated, nil)

	// On-site recusal releases the seat and draws a replacement.
	recuse := f.path + "/members/" + itoa(m1) + "/recuse"
	f.staff2.fail(http.MethodPost, recuse, map[string]string{"reason": "与投标人存在利害关系"}, http.StatusUnprocessableEntity, "invalid")
	f.staff1.fail(http.MethodPost, recuse, map[string]string{"reason": ""}, http.StatusUnprocessableEntity, "invalid")
	var rec room.Recusal
	f.staff1.call(http.MethodPost, recuse, map[string]string{"reason": "与投标人存在利害关系"}, http.StatusOK, &rec)
	require.Equal(t, si.ID, rec.ReleasedSignIn)
	require.NotZero(t, rec.Replacement.MemberID)
	require.NotEmpty(t, rec.Replacement.Notice)
	f.staff1.call(http.MethodGet, f.path+"/committee", nil, http.StatusOK, &view)
	var replacement *room.CommitteeEntry
	for i, m := range view.Items {
		if m.MemberID == m1 {
			require.Equal(t, "recused", m.State)
			require.False(t, m.SeatReady)
			require.Nil(t, m.SignIn)
		}
		if m.MemberID == rec.Replacement.MemberID {
			replacement = &view.Items[i]
		}
	}
	require.NotNil(t, replacement)
	require.True(t, replacement.Replacement)
	require.Equal(t, "notified", replacement.State)
	f.staff1.call(http.MethodGet, signins, nil, http.StatusOK, &seats)
	require.Equal(t, 3, seats.Total)
	require.NotNil(t, seats.Items[0].ReleasedAt)
	// The seat is free for the replacement once confirmed.
	f.staff1.call(http.MethodPost, "/api/members/"+itoa(rec.Replacement.MemberID)+"/answer", map[string]any{"accept": true}, http.StatusOK, nil)
	f.staff1.call(http.MethodPost, signins, map[string]any{"member_id": rec.Replacement.MemberID, "room_id": f.room1.ID, "seat": 1,
		"id_suffix": f.suffixOf(t, rec.Replacement.MemberID)}, http.StatusCreated, nil)
	f.staff1.fail(http.MethodPost, recuse, map[string]string{"reason": "再次"}, http.StatusConflict, "conflict")
	got = f.staff1.fail(http.MethodPost, signins, map[string]any{"member_id": m1, "room_id": f.room1.ID, "seat": 3, "id_suffix": s1},
		http.StatusUnprocessableEntity, "invalid")
	require.Equal(t, "该专家已回避，不能签到", got.Error.Message)
}

func TestFaultsAndRecordingAPI(t *testing.T) {
	f := newSessionFixture(t)
	f.openSignin(t)
	faults := f.path + "/faults"
	f.staff3.fail(http.MethodPost, faults, map[string]string{"note": "x"}, http.StatusForbidden, "forbidden")
	f.supervisor.fail(http.MethodPost, faults, nil, http.StatusForbidden, "forbidden")
	var fault room.Fault
	f.staff2.call(http.MethodPost, faults, map[string]string{"note": "合肥专线中断"}, http.StatusCreated, &fault)
	require.Equal(t, room.FaultBeforeStart, fault.Kind)
	f.staff1.fail(http.MethodPost, faults, nil, http.StatusConflict, "conflict")
	var clocks struct {
		Items []room.Clock
		Total int
	}
	f.e.clock.Advance(30 * time.Minute)
	f.supervisor.call(http.MethodGet, f.path+"/clocks", nil, http.StatusOK, &clocks)
	require.Len(t, clocks.Items, 1)
	require.Equal(t, int64(90*60), clocks.Items[0].RemainingSeconds)
	require.Equal(t, room.ActionTendererDecides, clocks.Items[0].Action)
	f.staff3.fail(http.MethodGet, f.path+"/clocks", nil, http.StatusForbidden, "forbidden")
	f.staff1.fail(http.MethodPost, f.path+"/phase", map[string]string{"phase": "evaluating"}, http.StatusConflict, "phase")
	f.staff2.call(http.MethodPost, faults+"/restore", nil, http.StatusOK, &fault)
	require.NotNil(t, fault.RestoredAt)
	f.staff2.fail(http.MethodPost, faults+"/restore", nil, http.StatusNotFound, "not_found")

	// Recording: warnings only while evaluating.
	var rep room.RecordingReport
	f.staff1.call(http.MethodGet, f.path+"/recording", nil, http.StatusOK, &rep)
	require.Empty(t, rep.Warnings)
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "evaluating"}, http.StatusOK, nil)
	f.e.presence.set(itoa(f.sess.ID), itoa(f.room1.ID))
	f.supervisor.call(http.MethodGet, f.path+"/recording", nil, http.StatusOK, &rep)
	require.True(t, rep.Rooms[0].Live)
	require.False(t, rep.Rooms[1].Live)
	require.Equal(t, []string{"第二评标室（V2）未在录像：尚未登记录像设备"}, rep.Warnings)

	// A fault during evaluation not restored within 4 hours aborts the
	// session and seals it.
	f.staff1.call(http.MethodPost, faults, map[string]string{"note": "主场网络中断"}, http.StatusCreated, &fault)
	require.Equal(t, room.FaultDuringEvaluation, fault.Kind)
	require.Equal(t, f.e.clock.Now().Add(4*time.Hour), fault.Deadline)
	f.e.clock.Advance(4 * time.Hour)
	for _, c := range []*client{f.staff1, f.supervisor} {
		c.relogin()
	}
	f.supervisor.call(http.MethodGet, f.path+"/clocks", nil, http.StatusOK, &clocks)
	require.True(t, clocks.Items[0].Overdue)
	require.Equal(t, room.ActionAbortAndSeal, clocks.Items[0].Action)
	n, err := f.e.rooms.ExpireFaults(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	var s room.Session
	f.supervisor.call(http.MethodGet, f.path, nil, http.StatusOK, &s)
	require.Equal(t, room.PhaseAborted, s.Phase)
	require.NotNil(t, s.SealedAt)
	f.supervisor.call(http.MethodGet, f.path+"/clocks", nil, http.StatusOK, &clocks)
	require.Empty(t, clocks.Items)
}
