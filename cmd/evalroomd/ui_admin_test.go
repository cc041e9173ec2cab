package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/internal/browsertest"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
)

// TestAdminPage walks the administration page tab by tab in Chromium, as
// an administrator: every form first gets bad input (the message appears
// beside the field and the API shows nothing was saved), then good input.
// A member of staff gets 无权访问 on the page and 403 from its API.
func TestAdminPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	_, base := startApp(t)
	api := login(t, base, "admin")
	b := browsertest.New(t)
	ctx := b.Ctx
	b.Login(base, "admin", demoPassword)
	b.Do(20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#admin-tabs button[aria-selected=true]`)))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.Equal(t, base+"/admin#users", loc, "administrators land on the administration page, first tab")

	t.Run("users", func(t *testing.T) { adminUsers(t, ctx, base, api) })
	sess := adminSessions(t, ctx, api)
	adminRecorders(t, ctx, base, api, sess)
	adminExperts(t, ctx, api)
	adminRecusal(t, ctx, api)
	adminNotify(t, ctx, api)

	// Staff: the page says 无权访问, the API answers 403.
	staffBrowser := browsertest.New(t)
	staffBrowser.Login(base, "staff-nj", demoPassword)
	staffBrowser.Do(30*time.Second, chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.CSS(`.denied`)))
	require.Equal(t, "无权访问此页面", browsertest.Text(t, staffBrowser.Ctx, `.denied h1`))
	require.Zero(t, browsertest.Eval[int](t, staffBrowser.Ctx, `document.querySelectorAll('#admin-tabs').length`))
	for _, call := range [][2]string{{"GET", "/api/users"}, {"GET", "/api/settings/notify"}, {"PUT", "/api/settings/recusal"},
		{"POST", "/api/users"}, {"POST", "/api/experts/import"}} {
		status := browsertest.Eval[int](t, staffBrowser.Ctx, fmt.Sprintf(`fetch(%q, {method: %q, headers: {'X-Requested-With': 'evalroom',
			'Content-Type': 'application/json'}, body: %s}).then(r => r.status)`, call[1], call[0], map[bool]string{true: "undefined", false: "'{}'"}[call[0] == "GET"]))
		require.Equal(t, http.StatusForbidden, status, "%s %s as staff", call[0], call[1])
	}
	staffBrowser.Shot("admin-staff-denied")
}

// setForm sets the named fields of the form matched by sel (checkboxes
// take "true"/"false") and fires input and change, as typing would.
func setForm(t *testing.T, ctx context.Context, sel string, values map[string]string) {
	t.Helper()
	v, err := json.Marshal(values)
	require.NoError(t, err)
	browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(() => {
		const f = document.querySelector(%q); const v = %s;
		for (const [k, x] of Object.entries(v)) {
			const el = f.elements[k];
			if (!el) throw new Error('no field ' + k);
			if (el.type === 'checkbox') el.checked = x === 'true'; else el.value = x;
			el.dispatchEvent(new Event('input', {bubbles: true}));
			el.dispatchEvent(new Event('change', {bubbles: true}));
		}
		return true })()`, sel, v))
}

// submit clicks the submit button of the form matched by sel.
func submit(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	browsertest.Do(t, ctx, 20*time.Second, chromedp.Click(chromedp.CSS(sel+` button[type=submit]`)))
}

// besideField waits for the error shown beside field name of the form
// matched by sel and returns it.
func besideField(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	q := fmt.Sprintf(`%s small.field-error[data-for=%s]`, sel, name)
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`!!document.querySelector(%q)`, q), 20*time.Second)
	return browsertest.Text(t, ctx, q)
}

// noFieldErrors waits until the form matched by sel shows no error.
func noFieldErrors(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`!document.querySelector(%q)`, sel+` small.field-error`), 20*time.Second)
}

// openTab shows the administration tab id.
func openTab(t *testing.T, ctx context.Context, id, ready string) {
	t.Helper()
	browsertest.Do(t, ctx, 20*time.Second, chromedp.Click(chromedp.CSS(`#admin-tabs button[data-tab=`+id+`]`)),
		chromedp.WaitVisible(chromedp.CSS(ready)))
}

func users(t *testing.T, api *client) []auth.User {
	t.Helper()
	var out struct{ Users []auth.User }
	require.Equal(t, http.StatusOK, api.do("GET", "/api/users", nil, &out))
	return out.Users
}

func findUser(list []auth.User, username string) *auth.User {
	for i := range list {
		if list[i].Username == username {
			return &list[i]
		}
	}
	return nil
}

func adminUsers(t *testing.T, ctx context.Context, base string, api *client) {
	browsertest.Do(t, ctx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user=staff-nj]`)))
	b := func(name string) { browsertest.Shot(t, ctx, name) }
	b("admin-users")
	before := len(users(t, api))

	// An empty name and a short password: refused in the page, nothing sent.
	setForm(t, ctx, "#new-user", map[string]string{"username": "zhang.san", "display_name": "", "role": "staff",
		"venue_code": "NJ-MAIN", "password": "1234"})
	submit(t, ctx, "#new-user")
	require.Equal(t, "请填写姓名", besideField(t, ctx, "#new-user", "display_name"))
	require.Equal(t, "密码至少 8 位", besideField(t, ctx, "#new-user", "password"))
	b("admin-users-bad-input")
	require.Len(t, users(t, api), before, "nothing saved")
	require.Nil(t, findUser(users(t, api), "zhang.san"))

	// A taken user name passes the page's checks; the server refuses it
	// beside the same field.
	setForm(t, ctx, "#new-user", map[string]string{"username": "staff-nj", "display_name": "张三", "password": "zhangsan-2026"})
	submit(t, ctx, "#new-user")
	require.Equal(t, "用户名 staff-nj 已存在", besideField(t, ctx, "#new-user", "username"))
	b("admin-users-taken")

	setForm(t, ctx, "#new-user", map[string]string{"username": "zhang.san", "display_name": "张三", "role": "staff",
		"venue_code": "NJ-MAIN", "password": "zhangsan-2026"})
	submit(t, ctx, "#new-user")
	browsertest.Do(t, ctx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="zhang.san"]`)))
	noFieldErrors(t, ctx, "#new-user")
	u := findUser(users(t, api), "zhang.san")
	require.NotNil(t, u)
	require.Equal(t, "张三", u.DisplayName)
	require.Equal(t, auth.RoleStaff, u.Role)
	require.Equal(t, "NJ-MAIN", u.VenueCode)
	require.Equal(t, http.StatusOK, loginStatus(t, base, "zhang.san", "zhangsan-2026"))

	// Reset the password: too short is refused beside it; then a new one.
	browsertest.Do(t, ctx, 20*time.Second, chromedp.Click(chromedp.CSS(`#users tr[data-user="zhang.san"] button[data-action=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reset-password`)))
	setForm(t, ctx, "#reset-password", map[string]string{"password": "short"})
	submit(t, ctx, "#reset-password")
	require.Equal(t, "密码至少 8 位", besideField(t, ctx, "#reset-password", "password"))
	b("admin-users-reset-password")
	setForm(t, ctx, "#reset-password", map[string]string{"password": "zhangsan-new-1"})
	submit(t, ctx, "#reset-password")
	browsertest.WaitFor(t, ctx, `!document.querySelector('#reset-password')`, 20*time.Second)
	require.Equal(t, http.StatusUnauthorized, loginStatus(t, base, "zhang.san", "zhangsan-2026"))
	require.Equal(t, http.StatusOK, loginStatus(t, base, "zhang.san", "zhangsan-new-1"))

	// Disable, then enable again.
	browsertest.Do(t, ctx, 20*time.Second, chromedp.Click(chromedp.CSS(`#users tr[data-user="zhang.san"] button[data-action=disable]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.confirm`)),
		chromedp.Click(chromedp.CSS(`dialog.confirm button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="zhang.san"] button[data-action=enable]`)))
	require.Contains(t, browsertest.Text(t, ctx, `#users tr[data-user="zhang.san"]`), "已停用")
	require.True(t, findUser(users(t, api), "zhang.san").Disabled)
	require.NotEqual(t, http.StatusOK, loginStatus(t, base, "zhang.san", "zhangsan-new-1"))
	b("admin-users-disabled")
	browsertest.Do(t, ctx, 20*time.Second, chromedp.Click(chromedp.CSS(`#users tr[data-user="zhang.san"] button[data-action=enable]`)),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="zhang.san"] button[data-action=disable]`)))
	require.False(t, findUser(users(t, api), "zhang.san").Disabled)
}

// loginStatus tries a password login and returns the status.
func loginStatus(t *testing.T, base, user, password string) int {
	t.Helper()
	c := &client{t: t, base: base, http: &http.Client{}}
	return c.do("POST", "/api/login", map[string]string{"username": user, "password": password}, nil)
}

const adminSessionRef = "UI-ADMIN-1"

func adminSessions(t *testing.T, ctx context.Context, api *client) room.Session {
	openTab(t, ctx, "sessions", "#new-session")
	shot := func(name string) { browsertest.Shot(t, ctx, name) }
	good := map[string]string{"ref": adminSessionRef, "project_code": "NJ-2026-UI", "project_name": "南京市某中学体育馆施工",
		"main_venue": "NJ-A", "remote_venues": "HF-B"}
	bad := map[string]string{}
	for k, v := range good {
		bad[k] = v
	}
	bad["project_name"], bad["remote_venues"] = "", "HF-B, NJ-A"
	setForm(t, ctx, "#new-session", bad)
	submit(t, ctx, "#new-session")
	require.Equal(t, "项目名称不能为空且不超过200字", besideField(t, ctx, "#new-session", "project_name"))
	require.Equal(t, "场地 NJ-A 重复", besideField(t, ctx, "#new-session", "remote_venues"))
	shot("admin-sessions-bad-input")
	var list struct{ Items []room.Session }
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions?ref="+adminSessionRef, nil, &list))
	require.Empty(t, list.Items, "nothing saved")

	setForm(t, ctx, "#new-session", good)
	submit(t, ctx, "#new-session")
	browsertest.Do(t, ctx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#sessions tr[data-session="`+adminSessionRef+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-room`)))
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions?ref="+adminSessionRef, nil, &list))
	require.Len(t, list.Items, 1)
	sess := list.Items[0]
	require.Equal(t, "NJ-A", sess.MainVenue)
	require.Equal(t, []string{"HF-B"}, sess.RemoteVenues)
	require.Equal(t, "南京市某中学体育馆施工", sess.ProjectName)

	// Rooms: no seats is refused; then one room in each venue.
	setForm(t, ctx, "#new-room", map[string]string{"venue_code": "NJ-A", "name": "第一评标室", "seats": "0"})
	submit(t, ctx, "#new-room")
	require.Equal(t, "座位数须在1至99之间", besideField(t, ctx, "#new-room", "seats"))
	for _, r := range [][3]string{{"NJ-A", "第一评标室", "5"}, {"HF-B", "合肥评标室", "3"}} {
		setForm(t, ctx, "#new-room", map[string]string{"venue_code": r[0], "name": r[1], "seats": r[2]})
		submit(t, ctx, "#new-room")
		browsertest.Do(t, ctx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#rooms tr[data-room="`+r[1]+`"]`)))
	}
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions/"+itoa(sess.ID), nil, &sess))
	require.Len(t, sess.Rooms, 2)
	require.Equal(t, "NJ-A", sess.Rooms[0].VenueCode)
	require.Equal(t, 5, sess.Rooms[0].Seats)
	require.Equal(t, "HF-B", sess.Rooms[1].VenueCode)
	require.Equal(t, 3, sess.Rooms[1].Seats)

	// Score sheet: two bidders, two criteria; first a criterion whose
	// highest score is not above its lowest.
	browsertest.WaitFor(t, ctx, `document.querySelectorAll('#score-sheet .sheet-bidders tr').length === 1`, 20*time.Second)
	browsertest.Do(t, ctx, 20*time.Second, chromedp.Click(chromedp.CSS(`#add-bidder`)), chromedp.Click(chromedp.CSS(`#add-criterion`)))
	browsertest.Eval[bool](t, ctx, `(() => {
		const put = (sel, i, vals) => { const tr = document.querySelectorAll(sel + ' tr')[i];
			for (const [k, v] of Object.entries(vals)) tr.querySelector('input.' + k).value = v; };
		put('#score-sheet .sheet-bidders', 0, {code: 'B1', name: '甲建设集团有限公司'});
		put('#score-sheet .sheet-bidders', 1, {code: 'B2', name: '乙建工有限公司'});
		put('#score-sheet .sheet-criteria', 0, {code: 'C1', name: '技术方案', min: '0', max: '60'});
		put('#score-sheet .sheet-criteria', 1, {code: 'C2', name: '商务报价', min: '40', max: '40'});
		return true })()`)
	submit(t, ctx, "#score-sheet")
	require.Equal(t, "评分项 C2 的最高分必须大于最低分", besideField(t, ctx, "#score-sheet", "criteria"))
	shot("admin-sessions-sheet-bad")
	var sheet room.ScoreSheet
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions/"+itoa(sess.ID)+"/scoresheet", nil, &sheet))
	require.Empty(t, sheet.Criteria, "nothing saved")
	browsertest.Eval[bool](t, ctx, `(document.querySelectorAll('#score-sheet .sheet-criteria tr')[1].querySelector('input.min').value = '0', true)`)
	submit(t, ctx, "#score-sheet")
	browsertest.WaitText(t, ctx, "评分表已保存", 20*time.Second)
	noFieldErrors(t, ctx, "#score-sheet")
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions/"+itoa(sess.ID)+"/scoresheet", nil, &sheet))
	require.Equal(t, []room.Bidder{{Code: "B1", Name: "甲建设集团有限公司"}, {Code: "B2", Name: "乙建工有限公司"}}, sheet.Bidders)
	require.Equal(t, []room.Criterion{{Code: "C1", Name: "技术方案", Min: 0, Max: 60}, {Code: "C2", Name: "商务报价", Min: 0, Max: 40}}, sheet.Criteria)
	shot("admin-sessions")
	return sess
}

func adminRecorders(t *testing.T, ctx context.Context, base string, api *client, sess room.Session) {
	openTab(t, ctx, "recorders", "#recorder-session")
	browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector('#recorder-session');
		s.value = %q; s.dispatchEvent(new Event('change')); return true })()`, itoa(sess.ID)))
	browsertest.WaitFor(t, ctx, `!!document.querySelector('#register-recorder') && !!document.querySelector('#recorders tr[data-room="合肥评标室"]')`, 20*time.Second)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	room1 := itoa(sess.Rooms[0].ID)

	setForm(t, ctx, "#register-recorder", map[string]string{"room_id": room1, "recorder_id": "edge-ui-1", "public_key": "abc"})
	submit(t, ctx, "#register-recorder")
	require.Contains(t, besideField(t, ctx, "#register-recorder", "public_key"), "设备公钥须为 base64 编码的 32 字节 Ed25519 公钥")
	browsertest.Shot(t, ctx, "admin-recorders-bad-key")
	var got room.Session
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions/"+itoa(sess.ID), nil, &got))
	require.Empty(t, got.Rooms[0].RecorderID, "nothing saved")

	key := base64.StdEncoding.EncodeToString(pub)
	setForm(t, ctx, "#register-recorder", map[string]string{"room_id": room1, "recorder_id": "edge-ui-1", "public_key": key})
	submit(t, ctx, "#register-recorder")
	browsertest.WaitFor(t, ctx, `(document.querySelector('#recorders tr[data-room="第一评标室"]') || {}).innerText?.includes('edge-ui-1')`, 20*time.Second)
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions/"+itoa(sess.ID), nil, &got))
	require.Equal(t, "edge-ui-1", got.Rooms[0].RecorderID)
	require.Equal(t, []byte(pub), got.Rooms[0].RecorderKey)

	// The same recorder for the other room: the server refuses it beside
	// the recorder id.
	setForm(t, ctx, "#register-recorder", map[string]string{"room_id": itoa(sess.Rooms[1].ID), "recorder_id": "edge-ui-1", "public_key": key})
	submit(t, ctx, "#register-recorder")
	require.Equal(t, "该录像设备编号已登记到其他评标室", besideField(t, ctx, "#register-recorder", "recorder_id"))

	// The recorder reports its status with the key just registered; the
	// table shows it. (Where evalroomd runs without the recorder status
	// service the page says so.)
	if api.do("GET", "/api/sessions/"+itoa(sess.ID)+"/recorders", nil, nil) != http.StatusOK {
		browsertest.WaitText(t, ctx, "录像状态服务未启用", 20*time.Second)
		require.Contains(t, browsertest.Text(t, ctx, `#recorders tr[data-room="合肥评标室"]`), "未登记录像设备")
		browsertest.Shot(t, ctx, "admin-recorders")
		return
	}
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	var tok struct {
		Token string `json:"token"`
	}
	anon := &client{t: t, base: base, http: http.DefaultClient}
	require.Equal(t, http.StatusOK, anon.do("POST", "/api/devices/token", map[string]any{"recorder_id": "edge-ui-1", "timestamp": ts,
		"signature": ed25519.Sign(priv, room.DeviceMessage("edge-ui-1", ts))}, &tok))
	report, _ := json.Marshal(map[string]any{"recorder_id": "edge-ui-1", "room_id": room1, "recording": true, "live": false,
		"devices_open": 2, "backlog_segments": 4, "backlog_bytes": 5 << 20, "clock_offset_ms": 37.2, "clock_uncertainty_ms": 3,
		"free_disk_bytes": int64(80) << 30, "alarms": []string{"麦克风未接入"}})
	req, err := http.NewRequest("POST", base+"/api/devices/status", bytes.NewReader(report))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	browsertest.Do(t, ctx, 20*time.Second, chromedp.Click(chromedp.CSS(`#admin-tabs button[data-tab=recorders]`)))
	browsertest.WaitFor(t, ctx, `(document.querySelector('#recorders tr[data-room="第一评标室"]') || {}).innerText?.includes('麦克风未接入')`, 20*time.Second)
	row := browsertest.Text(t, ctx, `#recorders tr[data-room="第一评标室"]`)
	for _, want := range []string{"录像中", "未直播", "4 段", "37 ms", "80.0 GB"} {
		require.Contains(t, row, want)
	}
	require.Contains(t, browsertest.Text(t, ctx, `#recorders tr[data-room="合肥评标室"]`), "未登记录像设备")
	require.NotContains(t, browsertest.Text(t, ctx, `#recorder-status`), "null")
	browsertest.Shot(t, ctx, "admin-recorders")
}

// idNumber makes a valid identity number of someone born on 1 January
// 1931 in Dongcheng, Beijing (no demo expert is that old), with serial n.
func idNumber(n int) string {
	first := fmt.Sprintf("11010119310101%03d", n)
	return first + string(idcard.CheckChar(first))
}

func expertTotal(t *testing.T, api *client) int {
	t.Helper()
	var out struct{ Total int }
	require.Equal(t, http.StatusOK, api.do("GET", "/api/experts?limit=1", nil, &out))
	return out.Total
}

func adminExperts(t *testing.T, ctx context.Context, api *client) {
	openTab(t, ctx, "experts", "#expert-import")
	browsertest.WaitFor(t, ctx, `document.querySelectorAll('#expert-rows tr[data-expert]').length > 0`, 20*time.Second)
	browsertest.Shot(t, ctx, "admin-experts")
	before := expertTotal(t, api)
	dir := t.TempDir()
	write := func(name string, rows ...string) string {
		p := filepath.Join(dir, name)
		text := "姓名,身份证号,手机号,地区代码,专业代码\n"
		for _, r := range rows {
			text += r + "\n"
		}
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	bad := idNumber(1)
	bad = bad[:17] + map[bool]string{true: "1", false: "0"}[bad[17] == '0'] // a wrong check character
	badFile := write("bad.csv", "赵一,"+idNumber(2)+",13900000001,110101,A0101", "钱二,"+bad+",13900000002,110101,A0101")
	importFile := func(path string) {
		browsertest.Do(t, ctx, 20*time.Second, chromedp.SetUploadFiles(`#expert-import input[name=file]`, []string{path}))
		submit(t, ctx, "#expert-import")
	}
	importFile(badFile)
	browsertest.Do(t, ctx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#import-errors`)))
	require.Contains(t, browsertest.Text(t, ctx, `#import-report`), "文件有 1 处错误，未导入任何专家")
	cells := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#import-errors tbody td')].map(td => td.innerText)`)
	require.Equal(t, []string{"第 3 行", "身份证号", "身份证号校验位错误"}, cells)
	browsertest.Shot(t, ctx, "admin-experts-import-report")
	require.Equal(t, before, expertTotal(t, api), "nothing imported")

	goodFile := write("good.csv", "赵一,"+idNumber(2)+",13900000001,110101,A0101", "钱二,"+idNumber(3)+",13900000002,110101,A0101;C0101")
	importFile(goodFile)
	browsertest.Do(t, ctx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#import-report .import-ok`)))
	require.Equal(t, "导入成功：共 2 行，已导入 2 位专家。", browsertest.Text(t, ctx, `#import-report .import-ok`))
	require.Equal(t, before+2, expertTotal(t, api))
	browsertest.Shot(t, ctx, "admin-experts-imported")

	// Search finds the imported expert; one expert added by hand (a bad
	// mobile first).
	setForm(t, ctx, "#expert-search", map[string]string{"q": "钱二"})
	submit(t, ctx, "#expert-search")
	browsertest.WaitFor(t, ctx, `document.querySelectorAll('#expert-rows tr[data-expert]').length === 1 && document.querySelector('#expert-rows').innerText.includes('钱二')`, 20*time.Second)
	setForm(t, ctx, "#new-expert", map[string]string{"name": "孙三", "id_number": idNumber(4), "mobile": "1390000", "region": "110101", "specialties": "A0101"})
	submit(t, ctx, "#new-expert")
	require.Equal(t, "手机号须为 11 位，以 1 开头", besideField(t, ctx, "#new-expert", "mobile"))
	require.Equal(t, before+2, expertTotal(t, api), "nothing saved")
	setForm(t, ctx, "#new-expert", map[string]string{"mobile": "13900000003"})
	submit(t, ctx, "#new-expert")
	browsertest.WaitText(t, ctx, "已新增专家 孙三", 20*time.Second)
	require.Equal(t, before+3, expertTotal(t, api))

	// Suspend 钱二 until a day to come.
	browsertest.Do(t, ctx, 20*time.Second, chromedp.Click(chromedp.CSS(`#expert-rows tr[data-expert] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#expert-status`)))
	until := time.Now().Add(30 * 24 * time.Hour).Format(time.DateOnly)
	setForm(t, ctx, "#expert-status", map[string]string{"status": "suspended", "suspended_until": ""})
	submit(t, ctx, "#expert-status")
	require.Equal(t, "暂停的专家必须填写暂停至日期", besideField(t, ctx, "#expert-status", "suspended_until"))
	setForm(t, ctx, "#expert-status", map[string]string{"suspended_until": until})
	submit(t, ctx, "#expert-status")
	browsertest.WaitFor(t, ctx, `document.querySelector('#expert-rows').innerText.includes('暂停至 `+until+`')`, 20*time.Second)
	var found struct{ Items []expertpool.Expert }
	require.Equal(t, http.StatusOK, api.do("GET", "/api/experts?q=%E9%92%B1%E4%BA%8C", nil, &found))
	require.Len(t, found.Items, 1)
	require.Equal(t, expertpool.StatusSuspended, found.Items[0].Status)
	browsertest.Shot(t, ctx, "admin-experts-suspended")
}

func adminRecusal(t *testing.T, ctx context.Context, api *client) {
	openTab(t, ctx, "recusal", "#recusal")
	browsertest.WaitText(t, ctx, "当前使用配置文件", 20*time.Second)
	browsertest.WaitFor(t, ctx, `document.querySelector('#recusal').elements.former_employer_years.value === '5'`, 20*time.Second)
	browsertest.Shot(t, ctx, "admin-recusal")

	setForm(t, ctx, "#recusal", map[string]string{"max_draws_per_month": "99"})
	submit(t, ctx, "#recusal")
	require.Equal(t, "每月最多被抽取次数须为 0–31 的整数", besideField(t, ctx, "#recusal", "max_draws_per_month"))
	var set expertpool.RecusalSettings
	require.Equal(t, http.StatusOK, api.do("GET", "/api/settings/recusal", nil, &set))
	require.Equal(t, expertpool.RulesFromConfig, set.Source, "nothing saved")

	setForm(t, ctx, "#recusal", map[string]string{"max_draws_per_month": "4", "former_employer_years": "3", "relatives": "false"})
	submit(t, ctx, "#recusal")
	browsertest.WaitText(t, ctx, "管理员设置", 20*time.Second)
	require.Contains(t, browsertest.Text(t, ctx, `#recusal-source`), "系统管理员")
	require.Equal(t, http.StatusOK, api.do("GET", "/api/settings/recusal", nil, &set))
	require.Equal(t, expertpool.RulesFromDatabase, set.Source)
	want := expertpool.DefaultRules()
	want.FormerEmployerYears, want.Relatives = 3, false
	require.Equal(t, want, set.Rules)
	browsertest.Shot(t, ctx, "admin-recusal-saved")
}

func adminNotify(t *testing.T, ctx context.Context, api *client) {
	openTab(t, ctx, "notify", "#notify-settings")
	info := browsertest.Text(t, ctx, `#notify-settings`)
	require.Contains(t, info, "演示模式")
	require.Contains(t, info, "未配置", "the demo has no gateway secret")
	require.Contains(t, browsertest.Text(t, ctx, `#notify-hint`), "EVALROOM_NOTIFY_PROVIDER")

	setForm(t, ctx, "#notify-test", map[string]string{"mobile": "12345"})
	submit(t, ctx, "#notify-test")
	require.Equal(t, "手机号须为 11 位，以 1 开头", besideField(t, ctx, "#notify-test", "mobile"))
	setForm(t, ctx, "#notify-test", map[string]string{"mobile": "13912345678"})
	submit(t, ctx, "#notify-test")
	browsertest.WaitText(t, ctx, "测试短信已交给通知通道", 20*time.Second)
	var out struct {
		Entries []json.RawMessage `json:"entries"`
	}
	require.Equal(t, http.StatusOK, api.do("GET", "/api/audit?action=notify.test", nil, &out))
	require.Len(t, out.Entries, 1, "the test message is audited")
	require.Contains(t, string(out.Entries[0]), "139****5678")
	require.NotContains(t, string(out.Entries[0]), "13912345678")
	browsertest.Shot(t, ctx, "admin-notify")
}
