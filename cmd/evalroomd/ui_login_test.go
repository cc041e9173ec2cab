package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/browsertest"
)

// startApp runs a demo evalroomd on fresh PostgreSQL and Redis and
// returns its base URL; it stops when the test ends.
func startApp(t *testing.T) (*Main, string) {
	t.Helper()
	m := NewMain(testConfig(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m, "http://" + m.Addr
}

// TestLoginPageAndLiveEvents: a wrong password is refused beside the
// password field; the right one lands on the role's home page; the live
// event socket tells the page when staff change the session's phase; and
// logging out ends the session.
func TestLoginPageAndLiveEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	_, base := startApp(t)
	b := browsertest.New(t)
	ctx := b.Ctx

	b.Do(30*time.Second, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#login`)))
	b.Do(20*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#login input[name=username]`), "staff-nj"),
		chromedp.SendKeys(chromedp.CSS(`#login input[name=password]`), "wrong-password"),
		chromedp.Click(chromedp.CSS(`#login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`small.field-error[data-for=password]`)),
	)
	require.Equal(t, "用户名或密码错误", browsertest.Text(t, ctx, `small.field-error[data-for=password]`))
	b.Shot("login-wrong-password")

	// An empty user name is caught before anything is sent.
	b.Do(20*time.Second, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#login`)),
		chromedp.Click(chromedp.CSS(`#login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`small.field-error[data-for=username]`)))
	require.Equal(t, "请输入用户名", browsertest.Text(t, ctx, `small.field-error[data-for=username]`))

	b.Login(base, "staff-nj", demoPassword)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(loc, base+"/control"), "staff land on the control panel: %s", loc)
	who := browsertest.Eval[string](t, ctx, `fetch('/api/me').then(r => r.json()).then(u => u.display_name)`)
	require.Equal(t, "南京主场工作人员", who)

	// A page subscribes to its session; staff open sign-in through the API.
	staff := login(t, base, "staff-nj")
	sess := demoSession(t, staff)
	browsertest.Eval[bool](t, ctx, `(window.__events = [], import('/static/app.js').then(m => {
		m.events(['session:`+itoa(sess.ID)+`'], e => window.__events.push(e)); return true }))`)
	browsertest.WaitFor(t, ctx, `document.body.dataset.live === 'on'`, 10*time.Second)
	require.Equal(t, http.StatusOK, staff.do("POST", "/api/sessions/"+itoa(sess.ID)+"/phase", map[string]string{"phase": "signin"}, nil))
	browsertest.WaitFor(t, ctx, `window.__events.some(e => e.action === 'session.phase' && e.object === 'session:`+itoa(sess.ID)+`')`, 10*time.Second)
	// The hint came after the commit: reading the session now shows the new phase.
	phase := browsertest.Eval[string](t, ctx, `fetch('/api/sessions/`+itoa(sess.ID)+`').then(r => r.json()).then(s => s.phase)`)
	require.Equal(t, "signin", phase)

	browsertest.Eval[bool](t, ctx, `fetch('/api/logout', {method: 'POST', headers: {'X-Requested-With': 'evalroom'}}).then(r => r.status === 204)`)
	status := browsertest.Eval[int](t, ctx, `fetch('/api/me').then(r => r.status)`)
	require.Equal(t, http.StatusUnauthorized, status, "logged out")
	b.Shot("login")
}
