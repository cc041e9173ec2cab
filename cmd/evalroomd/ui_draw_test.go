package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/internal/browsertest"
	"github.com/evalroom/evalroom/room"
)

// beijingInput is t as a datetime-local value in Beijing time, to the
// second.
func beijingInput(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04:05")
}

// fill sets the named inputs of the page's forms as a user would type
// them (input and change events fire).
func fill(t *testing.T, ctx context.Context, values map[string]string) {
	t.Helper()
	data, err := json.Marshal(values)
	require.NoError(t, err)
	browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(() => {
		for (const [name, value] of Object.entries(%s)) {
			const el = document.querySelector('[name="' + name + '"]');
			if (!el) throw new Error('no field ' + name);
			el.value = value;
			el.dispatchEvent(new Event('input', {bubbles: true}));
			el.dispatchEvent(new Event('change', {bubbles: true}));
		}
		return true;
	})()`, data))
}

// progress reads one total of the draw page's progress table.
func progress(t *testing.T, ctx context.Context, col string) string {
	t.Helper()
	return browsertest.Eval[string](t, ctx, fmt.Sprintf(`(document.querySelector('#progress-table tfoot [data-col=%s]') || {}).textContent || ''`, col))
}

// waitProgress waits until the page's progress totals show want.
func waitProgress(t *testing.T, ctx context.Context, want map[string]int) {
	t.Helper()
	var conds []string
	for col, n := range want {
		conds = append(conds, fmt.Sprintf(`(document.querySelector('#progress-table tfoot [data-col=%s]') || {}).textContent === '%d'`, col, n))
	}
	browsertest.WaitFor(t, ctx, strings.Join(conds, " && "), 60*time.Second)
}

// drawCount is how many draws (failed ones too) the API lists.
func drawCount(t *testing.T, c *client) int {
	t.Helper()
	var out struct {
		Total int `json:"total"`
	}
	require.Equal(t, http.StatusOK, c.do("GET", "/api/draws?failed=1", nil, &out))
	return out.Total
}

// TestDrawPage: staff draw a committee in the page (bad input refused
// beside its field and nothing saved; an unfillable quota shows its
// funnel), follow the invitations live while experts answer on a phone
// through their links (a decline without reason refused), see no name
// while sealed, and reveal at sign-in; the witnessing supervisor follows
// read-only and verifies the draw.
func TestDrawPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	secret := "gateway-secret"
	gw := &gateway{t: t, secret: secret}
	gwSrv := httptest.NewServer(gw)
	defer gwSrv.Close()
	cfg := testConfig(t)
	cfg.Notify = config.Notify{Provider: "webhook", WebhookURL: gwSrv.URL, WebhookSecret: secret, Workers: 2, MaxAttempts: 3}
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	base := "http://" + m.Addr
	waitFor(t, "the demo draw's five invitations", func() bool { return len(gw.messages()) == 5 })
	sent := len(gw.messages())

	staff := login(t, base, "staff-nj")
	var projects struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, staff.do("GET", "/api/projects", nil, &projects))
	require.NotEmpty(t, projects.Items)
	before := drawCount(t, staff)

	b := browsertest.New(t)
	page := b.Ctx
	b.Login(base, "staff-nj", demoPassword)
	b.Do(30*time.Second, chromedp.Navigate(base+"/draw"), chromedp.WaitVisible(chromedp.CSS(`#draw-form`)))
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#add-venue`)), chromedp.Click(chromedp.CSS(`#add-quota`)))
	now := time.Now()
	signin := now.Add(75 * time.Second).Truncate(time.Second)
	fill(t, page, map[string]string{
		"project_id": itoa(projects.Items[0].ID), "session_ref": "",
		"starts_at": beijingInput(now.Add(2 * time.Hour)), "ends_at": beijingInput(now.Add(6 * time.Hour)),
		"signin_opens_at": beijingInput(signin),
		"venues.0.code":   room.DemoMainVenue, "venues.0.name": "南京主场", "venues.0.address": "南京市建邺区江东中路311号", "venues.0.region": "320105",
		"venues.1.code": room.DemoRemoteVenue, "venues.1.name": "合肥副场", "venues.1.address": "合肥市蜀山区怀宁路1699号", "venues.1.region": "34",
	})
	fill(t, page, map[string]string{
		"quotas.0.venue_code": room.DemoMainVenue, "quotas.0.specialty_code": "A01", "quotas.0.region_prefix": "32", "quotas.0.count": "3", "quotas.0.reserves": "1",
		"quotas.1.venue_code": room.DemoRemoteVenue, "quotas.1.specialty_code": "A01", "quotas.1.region_prefix": "34", "quotas.1.count": "2", "quotas.1.reserves": "1",
	})
	b.Shot("draw-1-form")

	// Bad input: caught beside each field before anything is sent.
	b.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#draw-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`small.field-error[data-for="session_ref"]`)))
	require.Equal(t, "评标场次编号不能为空", browsertest.Text(t, page, `small.field-error[data-for="session_ref"]`))
	require.Equal(t, "行政区划代码须为6位数字", browsertest.Text(t, page, `small.field-error[data-for="venues.1.region"]`))
	b.Shot("draw-2-field-errors")
	require.Equal(t, before, drawCount(t, staff), "nothing was drawn")

	// The server's own rule (an odd committee) comes back beside the quotas.
	fill(t, page, map[string]string{"session_ref": "UI-DRAW-1", "venues.1.region": "340104", "quotas.0.count": "4"})
	b.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#draw-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`small.field-error[data-for="quotas"]`)))
	require.Contains(t, browsertest.Text(t, page, `small.field-error[data-for="quotas"]`), "评标委员会组成不符合规则")
	b.Shot("draw-3-server-error")
	require.Equal(t, before, drawCount(t, staff), "nothing was drawn")

	// An unfillable quota: the funnel says which rules excluded whom.
	fill(t, page, map[string]string{"quotas.0.count": "3", "quotas.1.count": "60"})
	b.Do(30*time.Second, chromedp.Click(chromedp.CSS(`#draw-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#funnel .funnel-quota[data-venue="AH-HF"]`)))
	funnel := browsertest.Text(t, page, `#funnel .funnel-quota[data-venue="AH-HF"]`)
	require.Contains(t, funnel, "需要 60 人")
	require.Contains(t, funnel, "专业符合")
	require.Contains(t, funnel, "地区符合")
	require.Contains(t, browsertest.Text(t, page, `#draw-form .form-error`), "符合条件")
	b.Shot("draw-4-funnel")
	var listed struct {
		Total int `json:"total"`
	}
	require.Equal(t, http.StatusOK, staff.do("GET", "/api/draws", nil, &listed))
	require.Equal(t, before, listed.Total, "the failed attempt drew no committee")
	require.Len(t, gw.messages(), sent, "nobody was invited")

	// The committee is drawn; the page follows its invitations.
	fill(t, page, map[string]string{"quotas.1.count": "2"})
	b.Do(30*time.Second, chromedp.Click(chromedp.CSS(`#draw-submit`)), chromedp.WaitVisible(chromedp.CSS(`.draw-view #progress-table`)))
	drawID := browsertest.Eval[string](t, page, `new URL(location.href).searchParams.get('id')`)
	require.NotEmpty(t, drawID)
	require.Contains(t, browsertest.Text(t, page, `.seal-banner`), "名单密封中")
	waitProgress(t, page, map[string]int{"needed": 5, "invited": 5, "sent": 5, "waiting": 5})
	b.Shot("draw-5-sent")

	// Names stay sealed before sign-in opens: the page says so.
	b.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#reveal`)), chromedp.WaitVisible(chromedp.CSS(`.reveal-msg.error`)))
	require.Equal(t, "名单尚未到签到时间，仍处于密封状态", browsertest.Text(t, page, `.reveal-msg`))
	b.Shot("draw-6-sealed")

	// Experts answer on their phones through the links they got.
	waitFor(t, "the five invitations", func() bool { return len(gw.messages()) >= sent+5 })
	var links []string
	for _, msg := range gw.messages()[sent:] {
		if msg.Kind == "invite" {
			// The link is on the configured public address; the test
			// server listens on a free port.
			i := strings.Index(msg.Link, "/confirm?")
			require.GreaterOrEqual(t, i, 0, msg.Link)
			links = append(links, base+msg.Link[i:])
		}
	}
	require.Len(t, links, 5)
	phone := b.NewTab()
	browsertest.Do(t, phone, 30*time.Second,
		chromedp.EmulateViewport(375, 667, chromedp.EmulateMobile),
		chromedp.Navigate(links[0]), chromedp.WaitVisible(chromedp.CSS(`button.accept`)))
	browsertest.Shot(t, phone, "confirm-1-phone")
	require.LessOrEqual(t, browsertest.Eval[int](t, phone, `document.documentElement.scrollWidth`), 375, "nothing wider than the phone")
	browsertest.Do(t, phone, 20*time.Second, chromedp.Click(chromedp.CSS(`button.accept`)), chromedp.WaitVisible(chromedp.CSS(`.msg.ok`)))
	require.Contains(t, browsertest.Text(t, phone, `.msg`), "已确认参加")
	browsertest.Shot(t, phone, "confirm-2-accepted")

	browsertest.Do(t, phone, 30*time.Second, chromedp.Navigate(links[1]), chromedp.WaitVisible(chromedp.CSS(`details summary`)),
		chromedp.Click(chromedp.CSS(`details summary`)), chromedp.WaitVisible(chromedp.CSS(`button.decline`)),
		chromedp.Click(chromedp.CSS(`button.decline`)), chromedp.WaitVisible(chromedp.CSS(`#reason-error`)))
	require.Equal(t, "拒绝原因不能为空", browsertest.Text(t, phone, `#reason-error`))
	require.True(t, browsertest.Eval[bool](t, phone, `document.querySelector('details').open`), "the decline stays open beside its error")
	browsertest.Shot(t, phone, "confirm-3-reason-required")
	waitProgress(t, page, map[string]int{"accepted": 1, "declined": 0, "waiting": 4})

	browsertest.Do(t, phone, 20*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#reason`), "当天另有评标任务，时间冲突"),
		chromedp.Click(chromedp.CSS(`button.decline`)), chromedp.WaitVisible(chromedp.CSS(`.msg.warn`)))
	require.Contains(t, browsertest.Text(t, phone, `.msg`), "已收到您的拒绝答复")
	browsertest.Shot(t, phone, "confirm-4-declined")

	// The staff page followed without a reload: a replacement was invited.
	waitProgress(t, page, map[string]int{"accepted": 1, "declined": 1, "replaced": 1, "invited": 6, "sent": 6, "waiting": 4})
	b.Shot("draw-7-live-progress")
	sealedText := browsertest.Eval[string](t, page, `document.body.innerText`)

	// The witnessing supervisor sees the same counts, read-only, and
	// checks the draw with its seed.
	sb := browsertest.New(t)
	sb.Login(base, "supervisor", demoPassword)
	sb.Do(30*time.Second, chromedp.Navigate(base+"/draw?id="+drawID), chromedp.WaitVisible(chromedp.CSS(`.draw-view #progress-table`)))
	waitProgress(t, sb.Ctx, map[string]int{"accepted": 1, "declined": 1, "replaced": 1, "invited": 6})
	require.False(t, browsertest.Eval[bool](t, sb.Ctx, `!!document.querySelector('#reveal, #new-draw, #draw-form')`), "read-only for the supervisor")
	sb.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#verify`)), chromedp.WaitVisible(chromedp.CSS(`.audit-out.error`)))
	require.Contains(t, browsertest.Text(t, sb.Ctx, `.audit-out`), "请先公开随机种子")
	sb.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#seed-reveal`)), chromedp.WaitVisible(chromedp.CSS(`.audit-out.ok`)))
	require.Contains(t, browsertest.Text(t, sb.Ctx, `.audit-out`), "随机种子：")
	sb.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#verify`)))
	browsertest.WaitText(t, sb.Ctx, "验证通过", 20*time.Second)
	sb.Shot("draw-8-supervisor")
	supervisorText := browsertest.Eval[string](t, sb.Ctx, `document.body.innerText`)

	// Sign-in opens: staff reveal their venue's names.
	if d := time.Until(signin); d > 0 {
		time.Sleep(d + time.Second)
	}
	b.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#reveal`)), chromedp.WaitVisible(chromedp.CSS(`.members-table`)))
	require.Contains(t, browsertest.Text(t, page, `.reveal-msg`), "已揭晓")
	names := browsertest.Eval[[]string](t, page, `[...document.querySelectorAll('.members-table tbody tr')].map(r => r.children[1].textContent)`)
	require.GreaterOrEqual(t, len(names), 3, "the Nanjing quota's members")
	for _, n := range names {
		require.NotEmpty(t, n)
		require.NotContains(t, sealedText, n, "no name while sealed")
		require.NotContains(t, supervisorText, n, "no name on the supervisor's page")
	}
	b.Shot("draw-9-revealed")
}
