package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
)

// TestRecusalSettingsAPI: an administrator reads the rules, changes one,
// is refused a bad value beside its field with nothing changed, and
// resets to the configured rules; staff may read but not change them.
func TestRecusalSettingsAPI(t *testing.T) {
	e := newEnv(t)
	adm, _ := e.login(t, "root", auth.RoleAdmin)
	staff, _ := e.login(t, "clerk", auth.RoleStaff)

	var set expertpool.RecusalSettings
	adm.call(http.MethodGet, "/api/settings/recusal", nil, http.StatusOK, &set)
	require.Equal(t, expertpool.RulesFromConfig, set.Source)
	require.Equal(t, expertpool.DefaultRules(), set.Rules)

	next := set.Rules
	next.FormerEmployerYears = 3
	adm.call(http.MethodPut, "/api/settings/recusal", next, http.StatusOK, &set)
	require.Equal(t, expertpool.RulesFromDatabase, set.Source)
	require.Equal(t, 3, set.Rules.FormerEmployerYears)

	bad := next
	bad.MaxDrawsPerMonth = -2
	var fail struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	adm.call(http.MethodPut, "/api/settings/recusal", bad, http.StatusUnprocessableEntity, &fail)
	require.Equal(t, "max_draws_per_month", fail.Error.Field)
	require.Contains(t, fail.Error.Message, "每月抽取上限")
	adm.fail(http.MethodPut, "/api/settings/recusal", `{"relatives":true,"nope":1}`, http.StatusBadRequest, "bad_request")
	staff.call(http.MethodGet, "/api/settings/recusal", nil, http.StatusOK, &set)
	require.Equal(t, next, set.Rules, "refused changes left the rules as they were")
	staff.fail(http.MethodPut, "/api/settings/recusal", next, http.StatusForbidden, "forbidden")
	staff.fail(http.MethodDelete, "/api/settings/recusal", nil, http.StatusForbidden, "forbidden")

	adm.call(http.MethodDelete, "/api/settings/recusal", nil, http.StatusOK, &set)
	require.Equal(t, expertpool.RulesFromConfig, set.Source)
	require.Equal(t, expertpool.DefaultRules(), set.Rules)
}

// TestNotifySettingsAPI: the provider is shown without its secret, and a
// test message reaches the gateway; a bad number is refused beside its
// field; only administrators see any of it.
func TestNotifySettingsAPI(t *testing.T) {
	var mu sync.Mutex
	var sent []notify.Message
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m notify.Message
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		sent = append(sent, m)
		mu.Unlock()
	}))
	t.Cleanup(gw.Close)
	const secret = "very-secret-hmac-key"
	prov, err := notify.NewWebhookProvider(notify.WebhookParams{URL: gw.URL + "/sms?token=abc", Secret: secret})
	require.NoError(t, err)
	e := buildEnv(t, false, func(_ *env, p *web.Params) {
		p.Notify = web.NotifySettings{Provider: "webhook", WebhookURL: gw.URL + "/sms?token=abc", SecretConfigured: true,
			Workers: 4, MaxAttempts: 8, Sender: prov}
	})
	adm, _ := e.login(t, "root", auth.RoleAdmin)
	staff, _ := e.login(t, "clerk", auth.RoleStaff)

	var view map[string]any
	b := adm.call(http.MethodGet, "/api/settings/notify", nil, http.StatusOK, &view)
	require.NotContains(t, string(b), secret)
	require.NotContains(t, string(b), "token=abc")
	require.Equal(t, "webhook", view["provider"])
	require.Equal(t, true, view["secret_configured"])
	require.Equal(t, float64(8), view["max_attempts"])
	require.Equal(t, float64(0), view["dead_letters"])
	require.Equal(t, false, view["runtime_change"])
	require.Contains(t, view["change_hint"], "EVALROOM_NOTIFY_PROVIDER")

	var fail struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	adm.call(http.MethodPost, "/api/settings/notify/test", map[string]string{"mobile": "1391234"}, http.StatusUnprocessableEntity, &fail)
	require.Equal(t, "mobile", fail.Error.Field)
	require.Empty(t, sent)
	adm.call(http.MethodPost, "/api/settings/notify/test", map[string]string{"mobile": "13912345678"}, http.StatusOK, nil)
	require.Len(t, sent, 1)
	require.Equal(t, "13912345678", sent[0].To)

	staff.fail(http.MethodGet, "/api/settings/notify", nil, http.StatusForbidden, "forbidden")
	staff.fail(http.MethodPost, "/api/settings/notify/test", map[string]string{"mobile": "13912345678"}, http.StatusForbidden, "forbidden")
	require.Len(t, sent, 1)
}
