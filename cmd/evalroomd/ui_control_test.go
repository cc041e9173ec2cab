package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/browsertest"
	"github.com/evalroom/evalroom/room"
)

// committeeEntry is one row of GET /api/sessions/{id}/committee.
type committeeEntry struct {
	MemberID  int64  `json:"member_id"`
	VenueCode string `json:"venue_code"`
	Name      string `json:"name"`
	State     string `json:"state"`
	SignIn    *struct {
		Seat int `json:"seat"`
	} `json:"signin"`
}

func committee(t *testing.T, c *client, path string) []committeeEntry {
	t.Helper()
	var out struct {
		Items []committeeEntry `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.do("GET", path+"/committee", nil, &out))
	return out.Items
}

// idSuffix reads the last six characters of a committee member's
// identity number from the sealed pool, as the card the expert shows at
// the door would tell staff.
func idSuffix(t *testing.T, m *Main, memberID int64) string {
	t.Helper()
	ctx := context.Background()
	var drawID, roundID int64
	var position int
	var sealed, idSealed []byte
	require.NoError(t, m.db.QueryRow(ctx, `SELECT draw_id, round_id, position, expert_sealed FROM expertpool.members WHERE id = $1`,
		memberID).Scan(&drawID, &roundID, &position, &sealed))
	plain, err := m.keys.Open(sealed, fmt.Appendf(nil, "expertpool/member:%d:%d:%d", drawID, roundID, position))
	require.NoError(t, err)
	expertID, err := strconv.ParseInt(string(plain), 10, 64)
	require.NoError(t, err)
	require.NoError(t, m.db.QueryRow(ctx, `SELECT id_number_sealed FROM expertpool.experts WHERE id = $1`, expertID).Scan(&idSealed))
	number, err := m.keys.Open(idSealed, []byte(expertpool.IDNumberAAD))
	require.NoError(t, err)
	return string(number[len(number)-6:])
}

// recorderReports posts a room recorder's status report every two
// seconds, as evalroom-edge does, until the test ends; set changes what
// it reports.
type recorderReports struct {
	mu        sync.Mutex
	recording bool
}

func (r *recorderReports) set(recording bool) {
	r.mu.Lock()
	r.recording = recording
	r.mu.Unlock()
}

func startReports(t *testing.T, base, masterKey, recorder string, roomID int64, recording bool) *recorderReports {
	t.Helper()
	r := &recorderReports{recording: recording}
	status, tok := deviceToken(t, base, masterKey, recorder)
	require.Equal(t, http.StatusOK, status)
	post := func() int {
		r.mu.Lock()
		rec := r.recording
		r.mu.Unlock()
		body, _ := json.Marshal(map[string]any{"recorder_id": recorder, "room_id": itoa(roomID), "recording": rec, "live": rec,
			"devices_open": 3, "backlog_segments": 2, "backlog_bytes": 3 << 20, "clock_offset_ms": 12.4, "clock_uncertainty_ms": 2.1,
			"free_disk_bytes": int64(120) << 30, "alarms": []string{}})
		req, _ := http.NewRequest("POST", base+"/api/devices/status", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, post(), "the recorder's status report")
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				post()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return r
}

// confirmClick answers the page's confirmation dialog with its 确定 button.
func confirmClick(t *testing.T, ctx context.Context) {
	t.Helper()
	browsertest.Do(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`dialog.confirm button.primary`)),
		chromedp.Click(chromedp.CSS(`dialog.confirm button.primary`)))
}

// playing reports whether the video selected by sel shows frames: it has
// a size and its time advances.
func playing(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	return browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(async () => {
		const v = document.querySelector(%q);
		if (!v || !v.videoWidth) return false;
		const t0 = v.currentTime;
		await new Promise((r) => setTimeout(r, 600));
		return v.videoWidth > 0 && v.currentTime > t0;
	})()`, sel))
}

// loudness is the loudest sample the page's first <audio> plays during
// 1.5 s (0 when silent).
func loudness(t *testing.T, ctx context.Context) float64 {
	t.Helper()
	return browsertest.Eval[float64](t, ctx, `(async () => {
		const a = document.querySelector('audio');
		if (!a || !a.srcObject) return 0;
		const ac = new AudioContext();
		const an = ac.createAnalyser();
		an.fftSize = 2048;
		ac.createMediaStreamSource(a.srcObject).connect(an);
		const buf = new Float32Array(an.fftSize);
		let max = 0;
		for (const end = performance.now() + 1500; performance.now() < end;) {
			an.getFloatTimeDomainData(buf);
			for (const v of buf) max = Math.max(max, Math.abs(v));
			await new Promise((r) => setTimeout(r, 40));
		}
		await ac.close();
		return max;
	})()`)
}

// silent is the loudest sample (full scale 1) that still counts as silence.
const silent = 0.001

var codeRE = regexp.MustCompile(`^[A-Z0-9]{4}-[A-Z0-9]{4}$`)

// TestControlPanel drives the control panel as the Nanjing staff: open
// sign-in, the alarm while the rooms have no recorder, a wrong identity
// number refused beside its field, a sign-in with its evaluator code and
// a fresh code, on-site recusal, a fault clock, the recorders reporting,
// start, pause and resume, the live preview, and muting Nanjing toward
// Hefei while Hefei's room screen plays Nanjing; the Hefei staff cannot
// seat a Nanjing expert.
func TestControlPanel(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	m, base := startApp(t)
	masterKey := m.Config.Secrets.MasterKey
	admin, staffHFAPI := login(t, base, "admin"), login(t, base, "staff-hf")
	sess := demoSession(t, admin)
	path := "/api/sessions/" + itoa(sess.ID)
	roomOf := map[string]room.Room{}
	for _, r := range sess.Rooms {
		roomOf[r.VenueCode] = r
	}
	nj, hf := roomOf[room.DemoMainVenue], roomOf[room.DemoRemoteVenue]

	b := browsertest.New(t)
	ctx := b.Ctx
	b.Login(base, "staff-nj", demoPassword)
	browsertest.WaitFor(t, ctx, `document.querySelector('#phase')?.dataset.phase === 'scheduled'`, 20*time.Second)
	require.Contains(t, browsertest.Text(t, ctx, `#session-head h1`), sess.ProjectName)
	require.True(t, browsertest.Eval[bool](t, ctx, `document.getElementById('rec-alarm').hidden`), "no alarm before sign-in")
	b.Shot("control-scheduled")

	// Open sign-in: no room has a recorder report yet, so the alarm shows.
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#phase-signin`)))
	browsertest.WaitFor(t, ctx, `document.querySelector('#phase')?.dataset.phase === 'signin'`, 20*time.Second)
	browsertest.WaitFor(t, ctx, `!document.getElementById('rec-alarm').hidden`, 20*time.Second)
	alarm := browsertest.Text(t, ctx, `#rec-alarm`)
	require.Contains(t, alarm, nj.Name)
	require.Contains(t, alarm, hf.Name)
	b.Shot("control-signin-alarm")

	// The experts confirm (by phone, recorded by the admin); the list follows.
	members := committee(t, admin, path)
	var njMembers []committeeEntry
	for _, e := range members {
		require.Equal(t, http.StatusOK, admin.do("POST", "/api/members/"+itoa(e.MemberID)+"/answer", map[string]any{"accept": true}, nil))
		if e.VenueCode == room.DemoMainVenue {
			njMembers = append(njMembers, e)
		}
	}
	require.Len(t, njMembers, 3)
	first, second, third := njMembers[0], njMembers[1], njMembers[2]
	row := func(e committeeEntry) string { return fmt.Sprintf(`#signin tr[data-member="%d"]`, e.MemberID) }
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`!!document.querySelector('%s button.sign-in')`, row(first)), 20*time.Second)
	require.Equal(t, "已签到 0 / 3", browsertest.Text(t, ctx, `#signin-count`), "the Nanjing staff see their venue's three experts")

	// A wrong identity number: the error beside the field, nobody seated.
	suffix := idSuffix(t, m, first.MemberID)
	wrong := "000000"
	if suffix == wrong {
		wrong = "111111"
	}
	form := fmt.Sprintf(`form.signin-form[data-member="%d"]`, first.MemberID)
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(row(first)+` button.sign-in`)), chromedp.WaitVisible(chromedp.CSS(form)),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=id_suffix]`), wrong),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(form+` small.field-error[data-for=id_suffix]`)))
	require.Contains(t, browsertest.Text(t, ctx, form+` small.field-error[data-for=id_suffix]`), "身份证号后6位与登记信息不符")
	b.Shot("control-signin-wrong-id")
	var signins struct {
		Items []room.SignIn `json:"items"`
	}
	require.Equal(t, http.StatusOK, admin.do("GET", path+"/signins", nil, &signins))
	require.Empty(t, signins.Items, "a wrong identity number seats nobody")

	// The right one: seated on seat 1, the evaluator code shown large.
	browsertest.Eval[bool](t, ctx, `(document.querySelector('`+form+` input[name=id_suffix]').value = '', true)`)
	b.Do(10*time.Second, chromedp.SendKeys(chromedp.CSS(form+` input[name=id_suffix]`), suffix),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#code-dialog #code-value`)))
	code := browsertest.Text(t, ctx, `#code-value`)
	require.Regexp(t, codeRE, code)
	require.Contains(t, browsertest.Text(t, ctx, `#code-dialog h2`), "1 号座")
	b.Shot("control-signin-code")
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#code-done`)))
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`!!document.querySelector('%s.seated')`, row(first)), 20*time.Second)
	require.Equal(t, "已签到 1 / 3", browsertest.Text(t, ctx, `#signin-count`))

	// A lost code: a fresh one replaces it.
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(row(first)+` button.reissue`)))
	confirmClick(t, ctx)
	b.Do(10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#code-dialog #code-value`)))
	fresh := browsertest.Text(t, ctx, `#code-value`)
	require.Regexp(t, codeRE, fresh)
	require.NotEqual(t, code, fresh)
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#code-done`)))

	// The second expert on seat 2 (the page proposes the next free seat).
	form2 := fmt.Sprintf(`form.signin-form[data-member="%d"]`, second.MemberID)
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(row(second)+` button.sign-in`)), chromedp.WaitVisible(chromedp.CSS(form2)))
	require.Equal(t, "2", browsertest.Eval[string](t, ctx, `document.querySelector('`+form2+` input[name=seat]').value`))
	b.Do(10*time.Second, chromedp.SendKeys(chromedp.CSS(form2+` input[name=id_suffix]`), idSuffix(t, m, second.MemberID)),
		chromedp.Click(chromedp.CSS(form2+` button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#code-dialog #code-value`)),
		chromedp.Click(chromedp.CSS(`#code-done`)))

	// On-site recusal of the third, with a reason: a replacement is drawn.
	recuse := fmt.Sprintf(`#signin tr.form-row[data-member="%d"] form.recuse-form`, third.MemberID)
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(row(third)+` button.recuse`)), chromedp.WaitVisible(chromedp.CSS(recuse)),
		chromedp.Click(chromedp.CSS(recuse+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(recuse+` small.field-error[data-for=reason]`)))
	require.Equal(t, "请填写回避原因", browsertest.Text(t, ctx, recuse+` small.field-error[data-for=reason]`))
	b.Do(10*time.Second, chromedp.SendKeys(chromedp.CSS(recuse+` textarea[name=reason]`), "与投标人甲存在近亲属关系"),
		chromedp.Click(chromedp.CSS(recuse+` button[type=submit]`)))
	confirmClick(t, ctx)
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`(document.querySelector('%s')?.innerText || '').includes('已回避')`, row(third)), 20*time.Second)
	b.Shot("control-recused")
	for _, e := range committee(t, admin, path) {
		if e.MemberID == third.MemberID {
			require.Equal(t, "recused", e.State)
		}
	}

	// Hefei's staff cannot seat a Nanjing expert: the API says 403, and a
	// page made to try it shows the refusal beside the room.
	var refusal struct {
		Error struct{ Message string } `json:"error"`
	}
	require.Equal(t, http.StatusForbidden, staffHFAPI.do("POST", path+"/signins", map[string]any{
		"member_id": second.MemberID, "room_id": nj.ID, "seat": 3, "id_suffix": idSuffix(t, m, second.MemberID)}, &refusal))
	require.Equal(t, "只能为本场地的评标室签到", refusal.Error.Message)

	hfBrowser := browsertest.New(t)
	hctx := hfBrowser.Ctx
	hfBrowser.Login(base, "staff-hf", demoPassword)
	browsertest.WaitFor(t, hctx, `document.querySelector('#phase')?.dataset.phase === 'signin'`, 20*time.Second)
	browsertest.WaitFor(t, hctx, `document.querySelectorAll('#signin tr[data-member]').length === 2`, 20*time.Second)
	require.False(t, browsertest.Eval[bool](t, hctx, fmt.Sprintf(`!!document.querySelector('%s')`, row(first))), "Hefei's staff do not see Nanjing's experts")
	hfMember := browsertest.Eval[int64](t, hctx, `Number(document.querySelector('#signin tr[data-member] button.sign-in').closest('tr').dataset.member)`)
	hform := fmt.Sprintf(`form.signin-form[data-member="%d"]`, hfMember)
	hfBrowser.Do(10*time.Second, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#signin tr[data-member="%d"] button.sign-in`, hfMember))),
		chromedp.WaitVisible(chromedp.CSS(hform)))
	browsertest.Eval[bool](t, hctx, fmt.Sprintf(`(() => {
		const f = document.querySelector('%s');
		f.querySelector('input[name=member_id]').value = '%d';
		const sel = f.querySelector('select[name=room_id]');
		sel.append(new Option('%s', '%d'));
		sel.value = '%d';
		return true;
	})()`, hform, second.MemberID, nj.Name, nj.ID, nj.ID))
	hfBrowser.Do(10*time.Second, chromedp.SendKeys(chromedp.CSS(hform+` input[name=id_suffix]`), idSuffix(t, m, second.MemberID)),
		chromedp.Click(chromedp.CSS(hform+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(hform+` small.field-error[data-for=room_id]`)))
	require.Equal(t, "只能为本场地的评标室签到", browsertest.Text(t, hctx, hform+` small.field-error[data-for=room_id]`))
	hfBrowser.Shot("control-hf-refused")

	// A media fault: its clock runs; restored, it goes.
	b.Do(10*time.Second, chromedp.SendKeys(chromedp.CSS(`#fault-form input[name=note]`), "合肥副场画面中断"),
		chromedp.Click(chromedp.CSS(`#fault-form button[type=submit]`)))
	confirmClick(t, ctx)
	browsertest.WaitFor(t, ctx, `(document.querySelector('.fault-clock .clock-remaining')?.textContent || '').startsWith('剩余')`, 20*time.Second)
	before := browsertest.Text(t, ctx, `.fault-clock .clock-remaining`)
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`document.querySelector('.fault-clock .clock-remaining').textContent !== %q`, before), 10*time.Second)
	b.Shot("control-fault-clock")
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#fault-restore`)), chromedp.WaitVisible(chromedp.CSS(`#no-fault`)))

	// The recorders report: Nanjing records, Hefei not yet — the alarm
	// names Hefei only; once Hefei records too it goes.
	startReports(t, base, masterKey, room.DemoMainRecorder, nj.ID, true)
	hfReports := startReports(t, base, masterKey, room.DemoRemoteRecorder, hf.ID, false)
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`(() => { const a = document.getElementById('rec-alarm');
		return !a.hidden && !a.innerText.includes(%q) && a.innerText.includes(%q); })()`, nj.Name, hf.Name), 20*time.Second)
	require.Contains(t, browsertest.Text(t, ctx, fmt.Sprintf(`#rooms tr[data-room="%d"]`, nj.ID)), "录像中")
	require.Contains(t, browsertest.Text(t, ctx, fmt.Sprintf(`#rooms tr[data-room="%d"]`, nj.ID)), "+12 ms")
	b.Shot("control-alarm-hefei")
	hfReports.set(true)
	browsertest.WaitFor(t, ctx, `document.getElementById('rec-alarm').hidden`, 20*time.Second)
	b.Shot("control-all-recording")

	// Start, pause, resume.
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#phase-evaluating`)))
	confirmClick(t, ctx)
	browsertest.WaitFor(t, ctx, `document.querySelector('#phase')?.dataset.phase === 'evaluating'`, 20*time.Second)
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#phase-paused`)))
	confirmClick(t, ctx)
	browsertest.WaitFor(t, ctx, `document.querySelector('#phase')?.dataset.phase === 'paused'`, 20*time.Second)
	b.Shot("control-paused")
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#phase-evaluating`)))
	browsertest.WaitFor(t, ctx, `document.querySelector('#phase')?.dataset.phase === 'evaluating'`, 20*time.Second)

	// Cameras in both rooms: a browser publishes its fake camera and
	// microphone into each room.
	pubBrowser := browsertest.New(t)
	pctx := pubBrowser.Ctx
	pubBrowser.Do(20*time.Second, chromedp.Navigate(base+"/login"))
	require.Equal(t, http.StatusOK, browsertest.Eval[int](t, pctx, fmt.Sprintf(`fetch('/api/login', { method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'evalroom' },
		body: JSON.stringify({ username: 'admin', password: %q }) }).then((r) => r.status)`, demoPassword)))
	require.True(t, browsertest.Eval[bool](t, pctx, fmt.Sprintf(`import('/static/rtc.js').then(async (m) => {
		const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
		window.__pubs = [];
		for (const room of [%d, %d]) {
			const mc = new m.MediaClient({ sessionId: %d, roomId: room, publish: true });
			await mc.join();
			await mc.publish(stream);
			window.__pubs.push(mc);
		}
		return true;
	})`, nj.ID, hf.ID, sess.ID)))

	// The live preview plays both rooms.
	for _, r := range []room.Room{nj, hf} {
		sel := fmt.Sprintf(`#preview .video-tile[data-room="%d"] video`, r.ID)
		waitFor(t, "the preview of "+r.Name, func() bool { return playing(t, ctx, sel) })
	}
	b.Shot("control-preview")

	// Hefei's room screen plays Nanjing with its sound, never Hefei itself.
	display := hfBrowser.NewTab()
	browsertest.Do(t, display, 20*time.Second, chromedp.Navigate(fmt.Sprintf("%s/display?session=%d&room=%d", base, sess.ID, hf.ID)))
	njTile := fmt.Sprintf(`#stage .tile[data-room="%d"] video`, nj.ID)
	waitFor(t, "Nanjing on Hefei's screen", func() bool { return playing(t, display, njTile) })
	require.False(t, browsertest.Eval[bool](t, display, fmt.Sprintf(`!!document.querySelector('#stage .tile[data-room="%d"]')`, hf.ID)),
		"a room's screen never shows its own room")
	require.Contains(t, browsertest.Text(t, display, `#stage .tile .name`), nj.Name)
	waitFor(t, "Nanjing's sound on Hefei's screen", func() bool { return loudness(t, display) > 10*silent })
	browsertest.Shot(t, display, "display-hefei")

	// Nanjing mutes its room toward the other venues: Hefei's screen goes
	// silent, the picture stays; unmuted, the sound comes back.
	mute := fmt.Sprintf(`.mute-toggle[data-room="%d"]`, nj.ID)
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(mute)))
	confirmClick(t, ctx)
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`document.querySelector('%s')?.getAttribute('aria-pressed') === 'true'`, mute), 20*time.Second)
	require.False(t, browsertest.Eval[bool](t, ctx, fmt.Sprintf(`!!document.querySelector('.mute-toggle[data-room="%d"]')`, hf.ID)),
		"Nanjing's staff cannot mute Hefei")
	for _, r := range []room.Room{nj, hf} {
		sel := fmt.Sprintf(`#preview .video-tile[data-room="%d"] video`, r.ID)
		waitFor(t, "the preview of "+r.Name+" while muted", func() bool { return playing(t, ctx, sel) })
	}
	b.Shot("control-muted")
	waitFor(t, "Hefei's screen to fall silent", func() bool { return loudness(t, display) < silent })
	require.Less(t, loudness(t, display), silent, "Hefei still hears the muted room")
	require.True(t, playing(t, display, njTile), "muting keeps the picture")
	var mutes struct {
		Items []struct {
			RoomID int64 `json:"room_id"`
			Muted  bool  `json:"muted"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, staffHFAPI.do("GET", path+"/mutes", nil, &mutes))
	for _, x := range mutes.Items {
		require.Equal(t, x.RoomID == nj.ID, x.Muted)
	}
	require.Equal(t, http.StatusForbidden, staffHFAPI.do("POST", path+"/rooms/"+itoa(nj.ID)+"/mute", map[string]bool{"muted": false}, &refusal))
	require.True(t, strings.Contains(refusal.Error.Message, "本场地"), refusal.Error.Message)

	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(mute)))
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`document.querySelector('%s')?.getAttribute('aria-pressed') === 'false'`, mute), 20*time.Second)
	waitFor(t, "Nanjing's sound back on Hefei's screen", func() bool { return loudness(t, display) > 10*silent })
	b.Shot("control-evaluating")
}
