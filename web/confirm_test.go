package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

// drawn makes a 5-expert draw through the API and returns its member ids.
func drawn(t *testing.T, e *env) (admin *client, drawID int64, members []int64) {
	t.Helper()
	admin, _ = e.login(t, "root", auth.RoleAdmin)
	req := drawSetup(t, e, admin, 8)
	var res expertpool.DrawResult
	admin.call(http.MethodPost, "/api/draws", req, http.StatusCreated, &res)
	return admin, res.DrawID, e.members(t, res.DrawID)
}

// page fetches or posts the confirmation page as a phone would: no
// cookie, no custom header.
func page(t *testing.T, e *env, method, token string, form url.Values) (int, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = http.Get(e.url + "/confirm?t=" + url.QueryEscape(token))
	} else {
		form.Set("t", token)
		resp, err = http.PostForm(e.url+"/confirm", form)
	}
	require.NoError(t, err)
	defer resp.Body.Close()
	var b strings.Builder
	_, err = ioCopy(&b, resp)
	require.NoError(t, err)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	return resp.StatusCode, b.String()
}

func TestConfirmPage(t *testing.T) {
	e := newEnv(t)
	_, _, members := drawn(t, e)
	ctx := context.Background()
	token, err := e.pool.IssueLinkToken(ctx, members[0])
	require.NoError(t, err)

	t.Run("forged or garbled link", func(t *testing.T) {
		for _, bad := range []string{"", "abc", token[:len(token)-2] + "xx"} {
			status, body := page(t, e, http.MethodGet, bad, nil)
			require.Equal(t, http.StatusUnauthorized, status, bad)
			require.Contains(t, body, "如需答复，请联系评标组织单位工作人员")
			status, _ = page(t, e, http.MethodPost, bad, url.Values{"answer": {"accept"}})
			require.Equal(t, http.StatusUnauthorized, status)
		}
	})

	status, body := page(t, e, http.MethodGet, token, nil)
	require.Equal(t, http.StatusOK, status)
	for _, want := range []string{"南京主场", "南京市建邺区江东中路1号", "答复截止时间", "接受", "拒绝", "待答复"} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, "甲建设公司", "never the bidders")
	require.NotContains(t, body, "<script")
	require.NotContains(t, body, "http", "no external assets")

	status, body = page(t, e, http.MethodPost, token, url.Values{"answer": {"decline"}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "a decline needs a reason")
	require.Contains(t, body, "原因")
	require.Contains(t, body, `name="answer"`, "the form is shown again")

	status, body = page(t, e, http.MethodPost, token, url.Values{"answer": {"accept"}})
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "确认")

	status, body = page(t, e, http.MethodPost, token, url.Values{"answer": {"decline"}, "reason": {"改主意了"}})
	require.Equal(t, http.StatusUnauthorized, status, "the link works once")
	require.Contains(t, body, "已使用")

	t.Run("late answer is refused politely", func(t *testing.T) {
		late, err := e.pool.IssueLinkToken(ctx, members[1])
		require.NoError(t, err)
		admin, _ := e.login(t, "root2", auth.RoleAdmin)
		admin.call(http.MethodPost, "/api/members/"+itoa(members[1])+"/recuse", map[string]string{"reason": "现场发现与投标人存在利害关系"}, http.StatusOK, nil)
		status, body := page(t, e, http.MethodPost, late, url.Values{"answer": {"accept"}})
		require.Equal(t, http.StatusConflict, status)
		require.Contains(t, body, "感谢您的支持")
	})

	t.Run("expired link", func(t *testing.T) {
		exp, err := e.pool.IssueLinkToken(ctx, members[2])
		require.NoError(t, err)
		e.clock.Advance(2 * time.Hour)
		status, _ := page(t, e, http.MethodGet, exp, nil)
		require.Equal(t, http.StatusUnauthorized, status)
	})
}

func TestGatewayCallback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		newEnv func(*testing.T) *env
		replay int // a replayed callback: refused as answered (server) or as replayed (notifier)
	}{
		{"verified by the server", newEnv, http.StatusConflict},
		{"verified by the notifier", newEnvWithNotifier, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) { testGatewayCallback(t, tc.newEnv(t), tc.replay) })
	}
}

func testGatewayCallback(t *testing.T, e *env, replay int) {
	_, _, members := drawn(t, e)
	var outboxID int64
	require.NoError(t, e.db.QueryRow(context.Background(),
		`SELECT id FROM expertpool.outbox WHERE member_id = $1 AND kind = 'invite'`, members[0]).Scan(&outboxID))
	body, err := json.Marshal(expertpool.GatewayAnswer{MessageID: "outbox:" + itoa(outboxID), Key: "1"})
	require.NoError(t, err)
	gw := e.anon(t)
	gw.csrf = false
	cases := []struct {
		name, sig string
		status    int
	}{
		{"no signature", "", http.StatusUnauthorized},
		{"wrong secret", notify.Sign("other secret", e.clock.Now(), body), http.StatusUnauthorized},
		{"too old", notify.Sign(gatewaySecret, e.clock.Now().Add(-time.Hour), body), http.StatusUnauthorized},
		{"signed for another body", notify.Sign(gatewaySecret, e.clock.Now(), []byte(`{}`)), http.StatusUnauthorized},
		{"good", notify.Sign(gatewaySecret, e.clock.Now(), body), http.StatusOK},
		{"replayed", notify.Sign(gatewaySecret, e.clock.Now(), body), replay},
		{"answered already", notify.Sign(gatewaySecret, e.clock.Now().Add(time.Second), body), http.StatusConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, b, _ := gw.raw(http.MethodPost, "/api/gateway/callback", body, notify.SignatureHeader, tc.sig)
			require.Equal(t, tc.status, status, string(b))
			if tc.status == http.StatusOK {
				var res expertpool.AnswerResult
				require.NoError(t, json.Unmarshal(b, &res))
				require.Equal(t, "confirmed", res.State)
			}
		})
	}
}

func TestMemberAnswersByStaff(t *testing.T) {
	e := newEnv(t)
	_, _, members := drawn(t, e)
	staff, _ := e.login(t, "staff", auth.RoleStaff)
	evaluator, _ := e.login(t, "pw", auth.RoleEvaluator)
	evaluator.fail(http.MethodPost, "/api/members/"+itoa(members[0])+"/answer", map[string]any{"accept": true}, http.StatusForbidden, "forbidden")

	var res expertpool.AnswerResult
	staff.call(http.MethodPost, "/api/members/"+itoa(members[0])+"/answer", map[string]any{"accept": true}, http.StatusOK, &res)
	require.Equal(t, "confirmed", res.State)
	got := staff.fail(http.MethodPost, "/api/members/"+itoa(members[0])+"/answer", map[string]any{"accept": false, "reason": "x"}, http.StatusConflict, "answer_closed")
	require.Contains(t, got.Error.Message, "感谢您的支持")
	staff.fail(http.MethodPost, "/api/members/"+itoa(members[1])+"/answer", map[string]any{"accept": false}, http.StatusUnprocessableEntity, "invalid")
	staff.call(http.MethodPost, "/api/members/"+itoa(members[1])+"/answer", map[string]any{"accept": false, "reason": "出差"}, http.StatusOK, &res)
	require.Equal(t, "declined", res.State)
	require.NotZero(t, res.ReplacementID, "a replacement was drawn")
	staff.fail(http.MethodPost, "/api/members/"+itoa(members[2])+"/recuse", map[string]any{}, http.StatusUnprocessableEntity, "invalid")
	staff.fail(http.MethodPost, "/api/members/999999/recuse", map[string]any{"reason": "x"}, http.StatusNotFound, "not_found")

	var dead struct {
		Items []expertpool.DeadLetter
		Total int
	}
	staff.call(http.MethodGet, "/api/notifications/dead", nil, http.StatusOK, &dead)
	require.Zero(t, dead.Total)
	require.NotNil(t, dead.Items)
}

func TestStaffActOnlyOnTheirOwnVenuesMembers(t *testing.T) {
	e := newEnv(t)
	_, _, members := drawn(t, e)
	_, err := e.auth.CreateUser(context.Background(), "cli", auth.UserInput{
		Username: "staff-v2", DisplayName: "合肥副场工作人员", Password: testPassword, Role: string(auth.RoleStaff), VenueCode: "V2"})
	require.NoError(t, err)
	other := e.anon(t)
	other.user = "staff-v2"
	other.relogin()
	// members[0] sits at the main venue V1: staff of V2 may neither answer
	// for nor recuse that expert, and nothing changes.
	other.fail(http.MethodPost, "/api/members/"+itoa(members[0])+"/answer", map[string]any{"accept": true}, http.StatusForbidden, "forbidden")
	other.fail(http.MethodPost, "/api/members/"+itoa(members[0])+"/recuse", map[string]any{"reason": "x"}, http.StatusForbidden, "forbidden")
	staff, _ := e.login(t, "staff", auth.RoleStaff)
	var res expertpool.AnswerResult
	staff.call(http.MethodPost, "/api/members/"+itoa(members[0])+"/answer", map[string]any{"accept": true}, http.StatusOK, &res)
	require.Equal(t, "confirmed", res.State, "the V2 staff's attempts changed nothing")
}
