package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	imagepng "image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

var _ web.EvaluatorCodes = (*room.Service)(nil)

var shownCode = regexp.MustCompile(`^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$`)

// codeRefusal sends a code login that must fail with status and code and
// returns the error's message after checking it names the field "code".
func codeRefusal(t *testing.T, c *client, code string, status int, errCode string) string {
	t.Helper()
	_, b, _ := c.raw(http.MethodPost, "/api/login/code", map[string]string{"code": code})
	var body struct {
		Error struct{ Code, Message, Field string }
	}
	require.NoError(t, json.Unmarshal(b, &body), string(b))
	require.Equal(t, errCode, body.Error.Code, string(b))
	if status != http.StatusTooManyRequests {
		require.Equal(t, "code", body.Error.Field, "shown beside the code field")
	}
	st, _, _ := c.raw(http.MethodPost, "/api/login/code", map[string]string{"code": code})
	require.Equal(t, status, st)
	return body.Error.Message
}

func TestEvaluatorCodeAPI(t *testing.T) {
	f := newSessionFixture(t)
	f.openSignin(t)
	m1, m2 := f.membersV1[0], f.membersV2[0]

	var si room.SignIn
	f.staff1.call(http.MethodPost, f.path+"/signins", map[string]any{"member_id": m1, "room_id": f.room1.ID, "seat": 3,
		"id_suffix": f.suffixOf(t, m1)}, http.StatusCreated, &si)
	require.NotNil(t, si.EvaluatorCode, "the sign-in answer carries the code")
	require.Regexp(t, shownCode, si.EvaluatorCode.Code)
	require.Equal(t, f.sess.EndsAt.Add(room.CodeOverrun), si.EvaluatorCode.ExpiresAt)
	var si2 room.SignIn
	f.staff2.call(http.MethodPost, f.path+"/signins", map[string]any{"member_id": m2, "room_id": f.room2.ID, "seat": 1,
		"id_suffix": f.suffixOf(t, m2)}, http.StatusCreated, &si2)

	// The code as a QR image of its join link, for staff of the venue.
	qrPath := f.path + "/members/" + itoa(m1) + "/code.png?c=" + si.EvaluatorCode.Code
	status, png, header := f.staff1.raw(http.MethodGet, qrPath, nil)
	require.Equal(t, http.StatusOK, status, string(png))
	require.Equal(t, "image/png", header.Get("Content-Type"))
	img, err := imagepng.Decode(bytes.NewReader(png))
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 100)
	f.staff2.fail(http.MethodGet, qrPath, nil, http.StatusForbidden, "forbidden")
	f.staff1.fail(http.MethodGet, f.path+"/members/"+itoa(m1)+"/code.png?c="+si2.EvaluatorCode.Code, nil, http.StatusNotFound, "not_found")

	// Bad codes: beside the field, nothing logged in.
	phone := f.e.anon(t)
	require.Contains(t, codeRefusal(t, phone, "ABC", http.StatusUnprocessableEntity, "invalid"), "8位评标码")
	require.Equal(t, "评标码无效、已使用或已过期", codeRefusal(t, phone, "ZZZZ-ZZZZ", http.StatusUnauthorized, "bad_code"))
	phone.fail(http.MethodGet, "/api/me", nil, http.StatusUnauthorized, "unauthenticated")

	// The right code, typed in lower case without the hyphen.
	var login struct {
		User      auth.User `json:"user"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	typed := strings.ToLower(strings.ReplaceAll(si.EvaluatorCode.Code, "-", ""))
	phone.call(http.MethodPost, "/api/login/code", map[string]string{"code": typed}, http.StatusOK, &login)
	require.Equal(t, auth.RoleEvaluator, login.User.Role)
	require.Equal(t, "S1", login.User.SessionRef)
	require.Equal(t, si.MemberName, login.User.DisplayName)
	require.True(t, login.ExpiresAt.Equal(si.EvaluatorCode.ExpiresAt), "the login ends with the session: %s", login.ExpiresAt)
	var me auth.User
	phone.call(http.MethodGet, "/api/me", nil, http.StatusOK, &me)
	require.Equal(t, login.User.ID, me.ID)
	phone.call(http.MethodGet, f.path, nil, http.StatusOK, nil)
	var seat room.CodeGrant
	phone.call(http.MethodGet, f.path+"/seat", nil, http.StatusOK, &seat)
	require.Equal(t, f.room1.ID, seat.RoomID)
	require.Equal(t, 3, seat.Seat)
	require.Equal(t, "V1", seat.VenueCode)
	require.Equal(t, m1, seat.MemberID)
	f.evaluator.fail(http.MethodGet, f.path+"/seat", nil, http.StatusNotFound, "not_found")
	f.staff1.fail(http.MethodGet, f.path+"/seat", nil, http.StatusForbidden, "forbidden")

	// Used once only.
	laptop := f.e.anon(t)
	codeRefusal(t, laptop, si.EvaluatorCode.Code, http.StatusUnauthorized, "bad_code")
	f.staff1.fail(http.MethodGet, qrPath, nil, http.StatusNotFound, "not_found")

	// Re-issue: staff of the member's venue or an admin.
	reissue := f.path + "/members/" + itoa(m1) + "/code"
	f.staff2.fail(http.MethodPost, reissue, nil, http.StatusForbidden, "forbidden")
	f.supervisor.fail(http.MethodPost, reissue, nil, http.StatusForbidden, "forbidden")
	phone.fail(http.MethodPost, reissue, nil, http.StatusForbidden, "forbidden")
	f.staff1.fail(http.MethodPost, f.path+"/members/"+itoa(f.membersV1[1])+"/code", nil, http.StatusNotFound, "not_found")
	var again room.EvaluatorCode
	f.staff1.call(http.MethodPost, reissue, nil, http.StatusCreated, &again)
	require.Regexp(t, shownCode, again.Code)
	var third room.EvaluatorCode
	f.admin.call(http.MethodPost, reissue, nil, http.StatusCreated, &third)
	codeRefusal(t, laptop, again.Code, http.StatusUnauthorized, "bad_code")
	laptop.call(http.MethodPost, "/api/login/code", map[string]string{"code": third.Code}, http.StatusOK, &login)
	require.Equal(t, me.ID, login.User.ID, "the same member reaches the same account")

	// The code's evaluator scores.
	f.admin.call(http.MethodPut, f.path+"/scoresheet", scoreSheet, http.StatusOK, nil)
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "evaluating"}, http.StatusOK, nil)
	var rec room.ScoreRecord
	laptop.call(http.MethodPost, f.path+"/scores", map[string]any{"bidder": "B1", "criterion": "tech", "value": 50}, http.StatusCreated, &rec)
	require.Equal(t, me.ID, rec.EvaluatorUserID)
	require.Equal(t, m1, rec.MemberID, "the score names the member whose code opened the account")

	// Audited, never with the code.
	actions := f.auditActions(t, "session:"+itoa(f.sess.ID))
	for _, a := range []string{"signin.code_issue", "signin.code_reissue", "signin.code_used"} {
		require.Contains(t, actions, a)
	}
	entries, err := f.e.audit.List(context.Background(), audit.Filter{})
	require.NoError(t, err)
	for _, en := range entries {
		for _, code := range []string{si.EvaluatorCode.Code, again.Code, third.Code, si2.EvaluatorCode.Code} {
			require.NotContains(t, string(en.Detail), code)
			require.NotContains(t, string(en.Detail), strings.ReplaceAll(code, "-", ""))
		}
	}

	// An expert recused on site can no longer score, although still logged in.
	f.staff1.call(http.MethodPost, f.path+"/members/"+itoa(m1)+"/recuse", map[string]string{"reason": "与投标人存在利害关系"}, http.StatusOK, nil)
	got := laptop.fail(http.MethodPost, f.path+"/scores", map[string]any{"bidder": "B1", "criterion": "tech", "value": 60}, http.StatusForbidden, "forbidden")
	require.Contains(t, got.Error.Message, "座位已释放")
	var mine []room.ScoreRecord
	laptop.call(http.MethodGet, f.path+"/scores", nil, http.StatusOK, &struct {
		Items *[]room.ScoreRecord `json:"items"`
	}{&mine})
	require.Len(t, mine, 1, "nothing saved")

	// Finishing the session ends the codes.
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "finished"}, http.StatusOK, nil)
	codeRefusal(t, f.e.anon(t), si2.EvaluatorCode.Code, http.StatusUnauthorized, "bad_code")
	f.staff1.fail(http.MethodPost, reissue, nil, http.StatusConflict, "phase")
}

func TestEvaluatorCodeRateLimited(t *testing.T) {
	f := newSessionFixture(t)
	f.openSignin(t)
	m := f.membersV2[0]
	var si room.SignIn
	f.staff2.call(http.MethodPost, f.path+"/signins", map[string]any{"member_id": m, "room_id": f.room2.ID, "seat": 2,
		"id_suffix": f.suffixOf(t, m)}, http.StatusCreated, &si)

	guesser := f.e.anon(t)
	limited := false
	for i := 0; i < 60 && !limited; i++ {
		st, _, _ := guesser.raw(http.MethodPost, "/api/login/code", map[string]string{"code": "ZZZZ-ZZZZ"})
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, st)
		limited = st == http.StatusTooManyRequests
	}
	require.True(t, limited, "guessing is rate-limited")
	guesser.fail(http.MethodPost, "/api/login/code", map[string]string{"code": si.EvaluatorCode.Code}, http.StatusTooManyRequests, "rate_limited")

	// The refusal used nothing up: once the window passes the code works.
	f.e.clock.Advance(16 * time.Minute)
	guesser.call(http.MethodPost, "/api/login/code", map[string]string{"code": si.EvaluatorCode.Code}, http.StatusOK, nil)
}
