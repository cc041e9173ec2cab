package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/browsertest"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/room"
)

// daySessionRef is the session the whole-day test creates.
const daySessionRef = "DAY-2026-001"

// switchUser logs the browser of ctx in as user through the API (the
// cookie replaces the previous user's) and opens page.
func switchUser(t *testing.T, ctx context.Context, base, user, page, ready string) {
	t.Helper()
	status := browsertest.Eval[int](t, ctx, fmt.Sprintf(`fetch('/api/login', {method: 'POST', credentials: 'same-origin',
		headers: {'Content-Type': 'application/json', 'X-Requested-With': 'evalroom'},
		body: JSON.stringify({username: %q, password: %q})}).then((r) => r.status)`, user, demoPassword))
	require.Equal(t, http.StatusOK, status, "login as %s", user)
	browsertest.Do(t, ctx, 30*time.Second, chromedp.Navigate(base+page), chromedp.WaitVisible(chromedp.CSS(ready)))
}

// TestWholeDay plays a whole evaluation day in Chromium against a real
// evalroomd with two real evalroom-edge recorders: the administrator
// creates a two-venue session and registers its recorders, staff draw its
// committee, the experts confirm on their phones, each venue's staff sign
// their experts in and hand out the codes, evaluation starts with both
// rooms recording and live, an evaluator publishes their camera, the
// supervisor's wall plays every room, evaluators of both venues score,
// staff finish, the recorders upload everything, and the archivist finds
// the session, stands every room at a scoring record, verifies it intact
// and downloads an evidence export that verifies offline.
func TestWholeDay(t *testing.T) {
	if testing.Short() {
		t.Skip("browser and edge recorders")
	}
	m, base := startApp(t)
	masterKey := m.Config.Secrets.MasterKey
	api := login(t, base, "admin") // reads only, to check what the pages did
	started := time.Now()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(started).Seconds(), what) }

	// 1. The administrator creates the session: two venues, a room each,
	// a score sheet.
	admin := browsertest.New(t)
	actx := admin.Ctx
	admin.Login(base, "admin", demoPassword)
	openTab(t, actx, "sessions", "#new-session")
	setForm(t, actx, "#new-session", map[string]string{"ref": daySessionRef, "project_code": "NJ-2026-DAY",
		"project_name": "南京市鼓楼区某小学改扩建工程施工", "main_venue": room.DemoMainVenue, "remote_venues": room.DemoRemoteVenue})
	submit(t, actx, "#new-session")
	browsertest.Do(t, actx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#sessions tr[data-session="`+daySessionRef+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-room`)))
	for _, r := range [][3]string{{room.DemoMainVenue, "南京第一评标室", "5"}, {room.DemoRemoteVenue, "合肥第一评标室", "3"}} {
		setForm(t, actx, "#new-room", map[string]string{"venue_code": r[0], "name": r[1], "seats": r[2]})
		submit(t, actx, "#new-room")
		browsertest.Do(t, actx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#rooms tr[data-room="`+r[1]+`"]`)))
	}
	browsertest.WaitFor(t, actx, `document.querySelectorAll('#score-sheet .sheet-bidders tr').length === 1`, 20*time.Second)
	browsertest.Do(t, actx, 20*time.Second, chromedp.Click(chromedp.CSS(`#add-bidder`)), chromedp.Click(chromedp.CSS(`#add-criterion`)))
	browsertest.Eval[bool](t, actx, `(() => {
		const put = (sel, i, vals) => { const tr = document.querySelectorAll(sel + ' tr')[i];
			for (const [k, v] of Object.entries(vals)) tr.querySelector('input.' + k).value = v; };
		put('#score-sheet .sheet-bidders', 0, {code: 'B1', name: '江苏华建建设集团有限公司'});
		put('#score-sheet .sheet-bidders', 1, {code: 'B2', name: '安徽建工集团股份有限公司'});
		put('#score-sheet .sheet-criteria', 0, {code: 'C1', name: '技术方案', min: '0', max: '60'});
		put('#score-sheet .sheet-criteria', 1, {code: 'C2', name: '商务报价', min: '0', max: '40'});
		return true })()`)
	submit(t, actx, "#score-sheet")
	browsertest.WaitText(t, actx, "评分表已保存", 20*time.Second)
	admin.Shot("day-01-admin-session")
	var list struct{ Items []room.Session }
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions?ref="+daySessionRef, nil, &list))
	require.Len(t, list.Items, 1)
	var sess room.Session
	require.Equal(t, http.StatusOK, api.do("GET", "/api/sessions/"+itoa(list.Items[0].ID), nil, &sess))
	require.Len(t, sess.Rooms, 2)
	path := "/api/sessions/" + itoa(sess.ID)
	roomOf := map[string]room.Room{}
	for _, r := range sess.Rooms {
		roomOf[r.VenueCode] = r
	}
	nj, hf := roomOf[room.DemoMainVenue], roomOf[room.DemoRemoteVenue]
	step("session created")

	// 2. The administrator registers each room's recorder (its key
	// derives from the demo master key, as the demo recorders' do).
	keys, err := seal.ParseKey(masterKey)
	require.NoError(t, err)
	recorderOf := map[int64]string{nj.ID: "edge-day-nj", hf.ID: "edge-day-hf"}
	openTab(t, actx, "recorders", "#recorder-session")
	browsertest.Eval[bool](t, actx, fmt.Sprintf(`(() => { const s = document.querySelector('#recorder-session');
		s.value = %q; s.dispatchEvent(new Event('change')); return true })()`, itoa(sess.ID)))
	browsertest.WaitFor(t, actx, `!!document.querySelector('#register-recorder') && !!document.querySelector('#recorders tr[data-room="合肥第一评标室"]')`, 20*time.Second)
	for _, r := range []room.Room{nj, hf} {
		id := recorderOf[r.ID]
		pub := DemoRecorderKey(keys, id).Public().(ed25519.PublicKey)
		setForm(t, actx, "#register-recorder", map[string]string{"room_id": itoa(r.ID), "recorder_id": id,
			"public_key": base64.StdEncoding.EncodeToString(pub)})
		submit(t, actx, "#register-recorder")
		browsertest.WaitFor(t, actx, fmt.Sprintf(`(document.querySelector('#recorders tr[data-room=%q]') || {}).innerText?.includes(%q)`, r.Name, id), 20*time.Second)
	}
	admin.Shot("day-02-admin-recorders")
	step("recorders registered")

	// 3. Staff draw the committee for the session; sign-in opens now, so
	// that names can be revealed at sign-in.
	seen := map[string]bool{} // the demo draw's invitations, sent at start-up
	for _, msg := range m.inbox.Messages() {
		seen[msg.ID] = true
	}
	staffNJ := browsertest.New(t)
	sctx := staffNJ.Ctx
	staffNJ.Login(base, "staff-nj", demoPassword)
	staffNJ.Do(30*time.Second, chromedp.Navigate(base+"/draw"), chromedp.WaitVisible(chromedp.CSS(`#draw-form`)))
	staffNJ.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#add-venue`)), chromedp.Click(chromedp.CSS(`#add-quota`)))
	project := browsertest.Eval[string](t, sctx, `(() => { const o = [...document.querySelectorAll('#project_id option')].filter((o) => o.value);
		return (o.find((x) => x.textContent.includes('NJ-2026-DAY')) || o[0]).value })()`)
	now := time.Now()
	fill(t, sctx, map[string]string{
		"project_id": project, "session_ref": daySessionRef,
		"starts_at": beijingInput(now.Add(time.Hour)), "ends_at": beijingInput(now.Add(5 * time.Hour)),
		"signin_opens_at": beijingInput(now.Add(-time.Minute)),
		"venues.0.code":   room.DemoMainVenue, "venues.0.name": "南京主场", "venues.0.address": "南京市建邺区江东中路311号", "venues.0.region": "320105",
		"venues.1.code": room.DemoRemoteVenue, "venues.1.name": "合肥副场", "venues.1.address": "合肥市蜀山区怀宁路1699号", "venues.1.region": "340104",
	})
	fill(t, sctx, map[string]string{
		"quotas.0.venue_code": room.DemoMainVenue, "quotas.0.specialty_code": "A01", "quotas.0.region_prefix": "32", "quotas.0.count": "3", "quotas.0.reserves": "1",
		"quotas.1.venue_code": room.DemoRemoteVenue, "quotas.1.specialty_code": "A01", "quotas.1.region_prefix": "34", "quotas.1.count": "2", "quotas.1.reserves": "1",
	})
	staffNJ.Shot("day-03-draw-form")
	staffNJ.Do(30*time.Second, chromedp.Click(chromedp.CSS(`#draw-submit`)), chromedp.WaitVisible(chromedp.CSS(`.draw-view #progress-table`)))
	waitProgress(t, sctx, map[string]int{"needed": 5, "invited": 5, "sent": 5})
	staffNJ.Shot("day-04-draw-sent")
	require.Equal(t, http.StatusOK, api.do("GET", path, nil, &sess))
	require.NotZero(t, sess.DrawID, "the draw staffs the session")
	step("drawn")

	// 4. The experts confirm through the links on their phones.
	var links []string
	waitFor(t, "the five invitations on the demo phone", func() bool {
		links = links[:0]
		for _, msg := range m.inbox.Messages() { // newest first
			if msg.Kind == "invite" && !seen[msg.ID] {
				i := strings.Index(msg.Link, "/confirm?")
				require.GreaterOrEqual(t, i, 0, msg.Link)
				links = append(links, base+msg.Link[i:])
			}
		}
		return len(links) == 5
	})
	phone := staffNJ.NewTab()
	browsertest.Do(t, phone, 10*time.Second, chromedp.EmulateViewport(375, 667, chromedp.EmulateMobile))
	for i, link := range links {
		browsertest.Do(t, phone, 30*time.Second, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`button.accept`)))
		if i == 0 {
			browsertest.Shot(t, phone, "day-05-phone-invitation")
		}
		browsertest.Do(t, phone, 20*time.Second, chromedp.Click(chromedp.CSS(`button.accept`)), chromedp.WaitVisible(chromedp.CSS(`.msg.ok`)))
		require.Contains(t, browsertest.Text(t, phone, `.msg`), "已确认参加")
		if i == 0 {
			browsertest.Shot(t, phone, "day-06-phone-accepted")
		}
	}
	waitProgress(t, sctx, map[string]int{"accepted": 5, "waiting": 0})
	staffNJ.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#reveal`)), chromedp.WaitVisible(chromedp.CSS(`.members-table`)))
	staffNJ.Shot("day-07-draw-confirmed")
	step("confirmed")

	// 5. Each venue's staff open the control panel; the main venue opens
	// sign-in; each signs their experts in and hands out the codes.
	control := fmt.Sprintf("%s/control?session=%d", base, sess.ID)
	staffNJ.Do(30*time.Second, chromedp.Navigate(control))
	browsertest.WaitFor(t, sctx, `document.querySelector('#phase')?.dataset.phase === 'scheduled'`, 20*time.Second)
	require.Contains(t, browsertest.Text(t, sctx, `#session-head h1`), sess.ProjectName)
	staffNJ.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#phase-signin`)))
	browsertest.WaitFor(t, sctx, `document.querySelector('#phase')?.dataset.phase === 'signin'`, 20*time.Second)

	staffHF := browsertest.New(t)
	hctx := staffHF.Ctx
	staffHF.Login(base, "staff-hf", demoPassword)
	staffHF.Do(30*time.Second, chromedp.Navigate(control))
	browsertest.WaitFor(t, hctx, `document.querySelector('#phase')?.dataset.phase === 'signin'`, 20*time.Second)

	codes := map[string][]string{}
	signAll := func(b *browsertest.Browser, venue string, n int) {
		ctx := b.Ctx
		browsertest.WaitFor(t, ctx, fmt.Sprintf(`document.querySelectorAll('#signin tr[data-member] button.sign-in').length === %d`, n), 20*time.Second)
		members := browsertest.Eval[[]int64](t, ctx, `[...document.querySelectorAll('#signin tr[data-member] button.sign-in')].map((b) => Number(b.closest('tr').dataset.member))`)
		for i, member := range members {
			row := fmt.Sprintf(`#signin tr[data-member="%d"]`, member)
			form := fmt.Sprintf(`form.signin-form[data-member="%d"]`, member)
			b.Do(10*time.Second, chromedp.Click(chromedp.CSS(row+` button.sign-in`)), chromedp.WaitVisible(chromedp.CSS(form)),
				chromedp.SendKeys(chromedp.CSS(form+` input[name=id_suffix]`), idSuffix(t, m, member)),
				chromedp.Click(chromedp.CSS(form+` button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`#code-dialog #code-value`)))
			code := browsertest.Text(t, ctx, `#code-value`)
			require.Regexp(t, codeRE, code)
			codes[venue] = append(codes[venue], code)
			if i == 0 {
				b.Shot("day-08-signin-code-" + venue)
			}
			b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#code-done`)))
			browsertest.WaitFor(t, ctx, fmt.Sprintf(`!!document.querySelector('%s.seated')`, row), 20*time.Second)
		}
		require.Equal(t, fmt.Sprintf("已签到 %d / %d", n, n), browsertest.Text(t, ctx, `#signin-count`))
		b.Shot("day-09-signed-in-" + venue)
	}
	signAll(staffNJ, room.DemoMainVenue, 3)
	signAll(staffHF, room.DemoRemoteVenue, 2)
	step("signed in")

	// 6. The rooms' recorders start: real evalroom-edge processes with
	// synthetic camera and microphone, H.264 (live and archived).
	var edges []*edgeProc
	for _, r := range []room.Room{nj, hf} {
		e := newEdge(t, base, masterKey, recorderOf[r.ID])
		for i, a := range e.args {
			if a == "-cameras" {
				e.args[i+1] = "cam1=synthetic,320x180,15fps,200kbps"
			}
		}
		e.start()
		edges = append(edges, e)
	}
	for _, e := range edges {
		waitFor(t, e.id+" recording and live", func() bool {
			s, ok := e.status()
			return ok && s.Recording && s.Live != nil && s.Live.Connected
		})
	}
	for _, r := range []room.Room{nj, hf} {
		browsertest.WaitFor(t, sctx, fmt.Sprintf(`(() => { const t = document.querySelector('#rooms tr[data-room="%d"]')?.innerText || '';
			return t.includes('录像中') && t.includes('直播中') })()`, r.ID), 30*time.Second)
	}
	browsertest.WaitFor(t, sctx, `document.getElementById('rec-alarm').hidden`, 20*time.Second)
	staffNJ.Shot("day-10-control-recording")
	step("edges live")

	// 7. Start: evaluating.
	staffNJ.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#phase-evaluating`)))
	confirmClick(t, sctx)
	browsertest.WaitFor(t, sctx, `document.querySelector('#phase')?.dataset.phase === 'evaluating'`, 20*time.Second)
	browsertest.WaitFor(t, hctx, `document.querySelector('#phase')?.dataset.phase === 'evaluating'`, 20*time.Second)
	staffNJ.Shot("day-11-control-evaluating")

	// 8. Evaluators log in with their codes at /join: Nanjing's in a
	// browser of its own, Hefei's in the Hefei staff's browser (the code's
	// login replaces the staff's). Nanjing's publishes the fake camera.
	evNJ := browsertest.New(t)
	ectx := evNJ.Ctx
	join := func(b *browsertest.Browser, code string) {
		b.Do(30*time.Second, chromedp.Navigate(base+"/join"), evType(`#join input[name=code]`, code),
			chromedp.Click(chromedp.CSS(`#join button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#session-head #phase`)))
		browsertest.WaitFor(t, b.Ctx, `document.querySelector('#phase').dataset.phase === 'evaluating'`, 20*time.Second)
	}
	evNJ.Do(30*time.Second, chromedp.Navigate(base+"/join"), chromedp.WaitVisible(chromedp.CSS(`#join input[name=code]`)),
		evType(`#join input[name=code]`, codes[room.DemoMainVenue][0]))
	evNJ.Shot("day-12-join")
	join(evNJ, codes[room.DemoMainVenue][0])
	require.Contains(t, browsertest.Text(t, ectx, `#seat`), nj.Name)
	evNJ.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#camera-toggle`)))
	browsertest.WaitFor(t, ectx, `!!document.querySelector('#local-video video')`, 60*time.Second)
	waitFor(t, "the evaluator's own camera", func() bool { return playing(t, ectx, `#local-video video`) })
	// Hefei's room appears among the other venues' tiles.
	browsertest.WaitFor(t, ectx, fmt.Sprintf(`!!document.querySelector('#remote-tiles .video-tile[data-room="%d"] video')`, hf.ID), 60*time.Second)
	evNJ.Shot("day-13-evaluator-camera")
	join(staffHF, codes[room.DemoRemoteVenue][0])
	require.Contains(t, browsertest.Text(t, hctx, `#seat`), hf.Name)
	step("evaluators in")

	// 9. The supervisor's wall plays every room: each room's live tiles
	// (the recorder's camera, the evaluator's camera in Nanjing) show
	// frames and advance.
	switchUser(t, actx, base, "supervisor", "/wall", `#wall-grid`)
	tiles := fmt.Sprintf(`#wall-grid .wall-tile[data-session="%d"]`, sess.ID)
	roomPlays := func(r room.Room) string {
		return fmt.Sprintf(`(async () => {
			const vids = [...document.querySelectorAll('%s[data-room="%d"] video')];
			const t0 = vids.map((v) => v.currentTime);
			await new Promise((r) => setTimeout(r, 800));
			return vids.filter((v, i) => v.videoWidth > 0 && v.currentTime > t0[i]).length;
		})()`, tiles, r.ID)
	}
	tileState := fmt.Sprintf(`JSON.stringify([...document.querySelectorAll('%s')].map((t) => [t.dataset.room, t.dataset.track, t.querySelector('.label')?.textContent, t.querySelector('video')?.videoWidth, t.querySelector('video')?.currentTime]))`, tiles)
	plays := func(r room.Room, limit time.Duration) bool {
		for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if browsertest.Eval[int](t, actx, roomPlays(r)) > 0 {
				return true
			}
		}
		return false
	}
	for _, r := range []room.Room{nj, hf} {
		if plays(r, 45*time.Second) {
			continue
		}
		// Known issue (seen under CI load): the wall sometimes misses a
		// room's tracks until it is reloaded. Logged, then one reload, as
		// a supervisor would; the room must play after it.
		admin.Shot("day-wall-missing-room")
		t.Logf("KNOWN ISSUE: the wall misses %s after 45 s (tiles %s); reloading", r.Name, browsertest.Eval[string](t, actx, tileState))
		admin.Do(20*time.Second, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#wall-grid`)))
		if !plays(r, 60*time.Second) {
			admin.Shot("failed-day-wall")
			t.Fatalf("the wall does not play %s: tiles %s, page says %q", r.Name, browsertest.Eval[string](t, actx, tileState),
				browsertest.Eval[string](t, actx, `document.querySelector('main')?.innerText.slice(0, 300) || ''`))
		}
	}
	// Every tile of the session that decodes plays; the recorders' H.264
	// tracks are the ones Chromium cannot decode live.
	state := browsertest.Eval[string](t, actx, tileState)
	t.Logf("wall tiles: %s", state)
	require.GreaterOrEqual(t, browsertest.Eval[int](t, actx, roomPlays(nj)), 2, "Nanjing: the recorder's camera and the evaluator's")
	require.GreaterOrEqual(t, browsertest.Eval[int](t, actx, roomPlays(hf)), 1, "Hefei: the recorder's camera")
	admin.Shot("day-14-wall")
	step("wall plays")

	// Open panels that sit idle do not keep auditing: reading the
	// committee is an audited reveal, and a panel that re-read on hearing
	// of it would loop.
	reveals := func() int {
		var n int
		require.NoError(t, m.db.QueryRow(context.Background(), `SELECT count(*) FROM audit.entries WHERE action = 'draw.reveal'`).Scan(&n))
		return n
	}
	before := reveals()
	time.Sleep(4 * time.Second)
	require.LessOrEqual(t, reveals()-before, 2, "idle panels keep revealing the committee")

	// 10. Evaluators of both venues score in their pages.
	score := func(b *browsertest.Browser, bidder, c1, c2 string) {
		f := `form[data-bidder=` + bidder + `]`
		rows := browsertest.Eval[int](t, b.Ctx, `document.querySelectorAll('#my-records tbody tr').length`)
		browsertest.WaitFor(t, b.Ctx, `!document.querySelector('`+f+` button[type=submit]').disabled`, 20*time.Second)
		// Typed and submitted in one script: the page redraws its forms
		// when the session's events arrive, which would orphan nodes
		// between separate browser steps.
		browsertest.Eval[bool](t, b.Ctx, fmt.Sprintf(`(() => {
			const f = document.querySelector(%q);
			for (const [name, v] of [['v:C1', %q], ['v:C2', %q]]) {
				const el = f.querySelector('input[name="' + name + '"]');
				el.value = v;
				el.dispatchEvent(new Event('input', {bubbles: true}));
			}
			f.requestSubmit();
			return true;
		})()`, f, c1, c2))
		browsertest.WaitFor(t, b.Ctx, fmt.Sprintf(`document.querySelectorAll('#my-records tbody tr').length === %d`, rows+2), 20*time.Second)
	}
	score(evNJ, "B1", "52.5", "36")
	score(evNJ, "B2", "48", "38.25")
	evNJ.Shot("day-15-evaluator-scored")
	score(staffHF, "B1", "55", "35")
	staffHF.Shot("day-16-evaluator-scored-hefei")
	var scores evScores
	require.Equal(t, http.StatusOK, api.do("GET", path+"/scores", nil, &scores))
	require.Equal(t, 6, scores.Total)
	var first room.ScoreRecord
	for _, r := range scores.Items {
		if first.ID == 0 || r.ID < first.ID {
			first = r
		}
	}
	step("scored")

	// 11. Staff finish; the recorders upload everything.
	time.Sleep(2 * time.Second) // a little recording after the last record
	staffNJ.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#phase-finished`)))
	confirmClick(t, sctx)
	browsertest.WaitFor(t, sctx, `document.querySelector('#phase')?.dataset.phase === 'finished'`, 20*time.Second)
	staffNJ.Shot("day-17-control-finished")
	// The recorders keep recording after the session (a room is filmed
	// whatever happens in it); wait until the segment open at the finish
	// has closed (4 s segments) and everything before has been uploaded.
	time.Sleep(6 * time.Second)
	for _, e := range edges {
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
			s, ok := e.status()
			if ok && s.Upload.Pending == 0 {
				break
			}
			require.True(t, time.Now().Before(deadline), "%s uploads everything: %+v", e.id, s)
		}
	}
	step("uploaded")

	// 12. The archivist finds the session, stands every room at a scoring
	// record, verifies it and downloads the evidence export.
	switchUser(t, actx, base, "archivist", "/archive", `#search`)
	actx2 := actx
	admin.Do(10*time.Second, chromedp.SendKeys(chromedp.CSS(`#search input[name=q]`), daySessionRef),
		chromedp.Click(chromedp.CSS(`#search button[type=submit]`)))
	row := fmt.Sprintf(`#results tr[data-session="%d"]`, sess.ID)
	browsertest.WaitFor(t, actx2, `document.querySelector('#results-count')?.textContent === '共 1 场' && !!document.querySelector('`+row+`')`, 20*time.Second)
	require.Contains(t, browsertest.Text(t, actx2, row), sess.ProjectName)
	admin.Shot("day-18-archive-search")
	admin.Do(10*time.Second, chromedp.Click(chromedp.CSS(row+` button.open`)), chromedp.WaitVisible(chromedp.CSS(`.timeline .tl-score`)))
	browsertest.WaitFor(t, actx2, `document.querySelectorAll('.room-player').length === 2 && document.querySelectorAll('.tl-row.lane').length === 2`, 20*time.Second)
	admin.Shot("day-19-archive-session")

	var pb room.Playback
	archivist := login(t, base, "archivist")
	require.Equal(t, http.StatusOK, archivist.do("GET", "/api/scores/"+itoa(first.ID)+"/playback", nil, &pb))
	require.Len(t, pb.Rooms, 2)
	// The record's marker on the timeline (clicked by script: the
	// markers of records a second apart overlap at this scale).
	browsertest.Eval[bool](t, actx2, fmt.Sprintf(`(document.querySelector('.tl-score[data-score="%d"]').click(), true)`, first.ID))
	browsertest.WaitFor(t, actx2, fmt.Sprintf(`document.querySelector('#view').dataset.jumped === '%d'`, first.ID), 20*time.Second)
	browsertest.WaitFor(t, actx2, `(`+playersJS+`).every((p) => p.ready >= 2 && !p.seeking && p.width > 0)`, 60*time.Second)
	players := browsertest.Eval[[]playerState](t, actx2, playersJS)
	require.Len(t, players, 2)
	for _, rp := range pb.Rooms {
		require.NotNil(t, rp.Position, "room %d is recorded at the record's instant", rp.RoomID)
		var p *playerState
		for i := range players {
			if players[i].Room == rp.RoomID {
				p = &players[i]
			}
		}
		require.NotNil(t, p, "a player for room %d", rp.RoomID)
		require.Equal(t, rp.Position.Segment, p.Hash, "room %d plays the segment covering the record", rp.RoomID)
		require.InDelta(t, rp.Position.Offset.Seconds(), p.Time, 0.1, "room %d stands at the record's instant", rp.RoomID)
		require.Greater(t, p.Width, 0, "room %d shows a picture", rp.RoomID)
	}
	require.Contains(t, browsertest.Text(t, actx2, "#jump-note"), fmt.Sprintf("已跳转到评分记录 #%d", first.ID))
	admin.Shot("day-20-archive-at-score")

	admin.Do(90*time.Second, chromedp.Click(chromedp.CSS(`#verify`)), chromedp.WaitVisible(chromedp.CSS(`#verify-result.ok`)))
	require.Contains(t, browsertest.Text(t, actx2, `#verify-result`), "校验通过")
	admin.Shot("day-21-archive-verified")

	file := downloadExport(t, admin, actx2)
	rep, err := evidence.VerifyFile(context.Background(), file, evidence.VerifyOptions{})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
	admin.Shot("day-22-archive-exported")
	step("archived")
}
