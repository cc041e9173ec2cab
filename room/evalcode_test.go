package room_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

func TestNormalizeCode(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"as shown", "ABCD-EFGH", "ABCDEFGH", true},
		{"lower case with spaces", " abcd efgh ", "ABCDEFGH", true},
		{"full-width space and hyphen", "ABCD－EF\u3000GH", "ABCDEFGH", true},
		{"digits", "2345-6789", "23456789", true},
		{"too short", "ABCD-EFG", "", false},
		{"too long", "ABCD-EFGHJ", "", false},
		{"look-alike O", "ABCD-EFGO", "", false},
		{"look-alike 1", "ABCD-EFG1", "", false},
		{"Chinese", "评标码评标码评标", "", false},
		{"empty", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := room.NormalizeCode(tc.in)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
	require.Equal(t, "ABCD-EFGH", room.FormatCode("ABCDEFGH"))
}

// codeRE is how a code is shown.
var codeRE = regexp.MustCompile(`^[` + room.CodeAlphabet + `]{4}-[` + room.CodeAlphabet + `]{4}$`)

// login is a CodeLogin that records its grants and answers userID, or
// fails with err.
type login struct {
	userID int64
	err    error
	grants []room.CodeGrant
}

func (l *login) fn(_ context.Context, g room.CodeGrant) (int64, error) {
	l.grants = append(l.grants, g)
	return l.userID, l.err
}

// seated opens sign-in on a new session and signs a confirmed member of
// each venue in; it returns the session, the sign-ins and their codes.
func (e *env) seated(t *testing.T, ref string) (room.Session, room.SignIn, room.SignIn) {
	t.Helper()
	ctx := context.Background()
	s := e.session(t, ref)
	e.move(t, s.ID, room.PhaseSignin)
	wang := e.committee.add("JS-NJ", "王建国", true)
	chen := e.committee.add("AH-HF", "陈静", true)
	nj, err := e.svc.SignIn(ctx, staffNJ, s.ID, room.SignInInput{MemberID: wang, RoomID: s.Rooms[0].ID, Seat: 2, IDSuffix: suffix(wang)})
	require.NoError(t, err)
	hf, err := e.svc.SignIn(ctx, staffHF, s.ID, room.SignInInput{MemberID: chen, RoomID: s.Rooms[1].ID, Seat: 1, IDSuffix: suffix(chen)})
	require.NoError(t, err)
	return s, nj, hf
}

func TestEvaluatorCodeIssuedAtSignInAndUsedOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s, nj, hf := e.seated(t, "CODE")

	require.NotNil(t, nj.EvaluatorCode, "the sign-in answer carries the code")
	require.Regexp(t, codeRE, nj.EvaluatorCode.Code)
	require.Equal(t, s.EndsAt.Add(room.CodeOverrun), nj.EvaluatorCode.ExpiresAt)
	require.NotEqual(t, nj.EvaluatorCode.Code, hf.EvaluatorCode.Code)

	// Only a hash is stored: no column of the table holds the code.
	var rows string
	require.NoError(t, e.db.QueryRow(ctx, `SELECT string_agg(c::text, ' ') FROM room.evaluator_codes c`).Scan(&rows))
	for _, code := range []string{nj.EvaluatorCode.Code, hf.EvaluatorCode.Code} {
		norm, _ := room.NormalizeCode(code)
		require.NotContains(t, rows, norm)
		require.NotContains(t, rows, code)
	}
	// Nor does the audit log.
	entries, err := e.audit.List(ctx, audit.Filter{Object: "session:" + s.IDString()})
	require.NoError(t, err)
	issued := 0
	for _, en := range entries {
		if en.Action == "signin.code_issue" {
			issued++
		}
		detail := string(en.Detail)
		require.NotContains(t, detail, strings.ReplaceAll(nj.EvaluatorCode.Code, "-", ""))
		require.NotContains(t, detail, nj.EvaluatorCode.Code)
	}
	require.Equal(t, 2, issued, "each issue is audited")

	// Listing sign-ins never shows a code.
	list, err := e.svc.ListSignIns(ctx, s.ID)
	require.NoError(t, err)
	for _, si := range list {
		require.Nil(t, si.EvaluatorCode)
	}

	// Typed in lower case with a space, it works once.
	l := &login{userID: 41}
	typed := strings.ToLower(strings.Replace(nj.EvaluatorCode.Code, "-", " ", 1))
	g, err := e.svc.RedeemEvaluatorCode(ctx, typed, l.fn)
	require.NoError(t, err)
	want := room.CodeGrant{SessionID: s.ID, SessionRef: "CODE", MemberID: nj.MemberID, MemberName: "王建国", SignInID: nj.ID,
		RoomID: s.Rooms[0].ID, VenueCode: "JS-NJ", Seat: 2, ExpiresAt: nj.EvaluatorCode.ExpiresAt}
	require.Equal(t, want, g)
	require.Equal(t, []room.CodeGrant{want}, l.grants, "the login saw the grant")
	require.Contains(t, e.actions(t, "session:"+s.IDString()), "signin.code_used")

	_, err = e.svc.RedeemEvaluatorCode(ctx, nj.EvaluatorCode.Code, l.fn)
	require.ErrorIs(t, err, room.ErrCodeInvalid, "used")
	require.Len(t, l.grants, 1, "no login for a used code")

	seat, err := e.svc.EvaluatorSeat(ctx, s.ID, 41)
	require.NoError(t, err)
	require.Equal(t, want, seat)
	_, err = e.svc.EvaluatorSeat(ctx, s.ID, 42)
	require.ErrorIs(t, err, room.ErrNotFound)
}

func TestEvaluatorCodeRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// spoil acts on the session after sign-in and returns the code to
		// try.
		spoil func(t *testing.T, e *env, s room.Session, nj, hf room.SignIn) string
	}{
		{"unknown", func(t *testing.T, e *env, s room.Session, nj, hf room.SignIn) string { return "ZZZZ-ZZZZ" }},
		{"malformed", func(t *testing.T, e *env, s room.Session, nj, hf room.SignIn) string { return "ABC" }},
		{"expired", func(t *testing.T, e *env, s room.Session, nj, hf room.SignIn) string {
			e.clock.Set(nj.EvaluatorCode.ExpiresAt)
			return nj.EvaluatorCode.Code
		}},
		{"session finished", func(t *testing.T, e *env, s room.Session, nj, hf room.SignIn) string {
			e.move(t, s.ID, room.PhaseEvaluating, room.PhaseFinished)
			return nj.EvaluatorCode.Code
		}},
		{"seat released by on-site recusal", func(t *testing.T, e *env, s room.Session, nj, hf room.SignIn) string {
			_, err := e.svc.RecuseOnSite(ctx, staffNJ, s.ID, nj.MemberID, "与投标人存在利害关系")
			require.NoError(t, err)
			return nj.EvaluatorCode.Code
		}},
		{"revoked by a re-issue", func(t *testing.T, e *env, s room.Session, nj, hf room.SignIn) string {
			_, err := e.svc.ReissueEvaluatorCode(ctx, staffNJ, s.ID, nj.MemberID)
			require.NoError(t, err)
			return nj.EvaluatorCode.Code
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s, nj, hf := e.seated(t, "REFUSE")
			code := tc.spoil(t, e, s, nj, hf)
			l := &login{userID: 7}
			_, err := e.svc.RedeemEvaluatorCode(ctx, code, l.fn)
			require.ErrorIs(t, err, room.ErrCodeInvalid)
			require.Empty(t, l.grants, "no login")
			var used int
			require.NoError(t, e.db.QueryRow(ctx, `SELECT count(*) FROM room.evaluator_codes WHERE used_at IS NOT NULL`).Scan(&used))
			require.Zero(t, used, "nothing marked used")
			require.NotContains(t, e.actions(t, "session:"+s.IDString()), "signin.code_used")
			// The other member's code is untouched (unless the session ended).
			if tc.name != "session finished" && tc.name != "expired" {
				_, err = e.svc.RedeemEvaluatorCode(ctx, hf.EvaluatorCode.Code, l.fn)
				require.NoError(t, err)
			}
		})
	}
}

func TestEvaluatorCodeLoginFailureKeepsTheCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, nj, _ := e.seated(t, "KEEP")
	broken := &login{err: errors.New("auth down")}
	_, err := e.svc.RedeemEvaluatorCode(ctx, nj.EvaluatorCode.Code, broken.fn)
	require.ErrorContains(t, err, "auth down")
	require.NotErrorIs(t, err, room.ErrCodeInvalid)
	ok := &login{userID: 9}
	_, err = e.svc.RedeemEvaluatorCode(ctx, nj.EvaluatorCode.Code, ok.fn)
	require.NoError(t, err, "a failed login does not use the code up")
}

func TestReissueEvaluatorCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s, nj, hf := e.seated(t, "REISSUE")

	for _, tc := range []struct {
		name   string
		actor  room.Actor
		member int64
		want   error
	}{
		{"staff of the other venue", staffHF, nj.MemberID, room.ErrForbidden},
		{"staff of no venue of the session", staffSH, nj.MemberID, room.ErrForbidden},
		{"member not seated", staffNJ, 999, room.ErrNotFound},
		{"bad member id", staffNJ, 0, room.ErrInvalid},
		{"no actor", room.Actor{}, nj.MemberID, room.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.ReissueEvaluatorCode(ctx, tc.actor, s.ID, tc.member)
			require.ErrorIs(t, err, tc.want)
		})
	}
	_, err := e.svc.ReissueEvaluatorCode(ctx, staffNJ, 999999, nj.MemberID)
	require.ErrorIs(t, err, room.ErrNotFound)
	// Refusals revoked nothing.
	l := &login{userID: 5}
	_, err = e.svc.RedeemEvaluatorCode(ctx, hf.EvaluatorCode.Code, l.fn)
	require.NoError(t, err)

	// The first code was used; a re-issue (a new device) gives a new one.
	_, err = e.svc.RedeemEvaluatorCode(ctx, nj.EvaluatorCode.Code, l.fn)
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	second, err := e.svc.ReissueEvaluatorCode(ctx, staffNJ, s.ID, nj.MemberID)
	require.NoError(t, err)
	require.Regexp(t, codeRE, second.Code)
	third, err := e.svc.ReissueEvaluatorCode(ctx, admin, s.ID, nj.MemberID)
	require.NoError(t, err, "an admin may re-issue")
	_, err = e.svc.RedeemEvaluatorCode(ctx, second.Code, l.fn)
	require.ErrorIs(t, err, room.ErrCodeInvalid, "the re-issue revoked the second code")
	_, err = e.svc.RedeemEvaluatorCode(ctx, third.Code, l.fn)
	require.NoError(t, err)
	require.Contains(t, e.actions(t, "session:"+s.IDString()), "signin.code_reissue")

	// Running late: a code issued after the scheduled end lasts the
	// overrun from now.
	e.clock.Set(s.EndsAt.Add(time.Hour))
	late, err := e.svc.ReissueEvaluatorCode(ctx, staffNJ, s.ID, nj.MemberID)
	require.NoError(t, err)
	require.Equal(t, s.EndsAt.Add(time.Hour+room.CodeOverrun), late.ExpiresAt)

	e.move(t, s.ID, room.PhaseEvaluating, room.PhaseFinished)
	_, err = e.svc.ReissueEvaluatorCode(ctx, staffNJ, s.ID, nj.MemberID)
	require.ErrorIs(t, err, room.ErrPhase)
}

func TestCheckEvaluatorCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s, nj, hf := e.seated(t, "CHECK")
	got, err := e.svc.CheckEvaluatorCode(ctx, staffNJ, s.ID, nj.MemberID, strings.ToLower(nj.EvaluatorCode.Code))
	require.NoError(t, err)
	require.Equal(t, nj.EvaluatorCode.ExpiresAt, got)
	_, err = e.svc.CheckEvaluatorCode(ctx, admin, s.ID, nj.MemberID, nj.EvaluatorCode.Code)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		actor  room.Actor
		member int64
		code   string
		want   error
	}{
		{"staff of the other venue", staffHF, nj.MemberID, nj.EvaluatorCode.Code, room.ErrForbidden},
		{"another member's code", staffNJ, nj.MemberID, hf.EvaluatorCode.Code, room.ErrCodeInvalid},
		{"malformed", staffNJ, nj.MemberID, "ABC", room.ErrCodeInvalid},
		{"no actor", room.Actor{}, nj.MemberID, nj.EvaluatorCode.Code, room.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.CheckEvaluatorCode(ctx, tc.actor, s.ID, tc.member, tc.code)
			require.ErrorIs(t, err, tc.want)
		})
	}
	l := &login{userID: 3}
	_, err = e.svc.RedeemEvaluatorCode(ctx, nj.EvaluatorCode.Code, l.fn)
	require.NoError(t, err)
	_, err = e.svc.CheckEvaluatorCode(ctx, staffNJ, s.ID, nj.MemberID, nj.EvaluatorCode.Code)
	require.ErrorIs(t, err, room.ErrCodeInvalid, "a used code is not shown again")
}
