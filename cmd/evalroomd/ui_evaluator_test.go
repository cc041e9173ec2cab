package main

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices"
	"github.com/evalroom/evalroom/internal/browsertest"
	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
)

// evSeatExpert has the first member of venue's committee confirm by phone
// and signs them into seat 1 of the venue's room, as the venue's staff;
// it returns the sign-in with its one-time evaluator code.
func evSeatExpert(t *testing.T, m *Main, staff *client, sess room.Session, venue string) room.SignIn {
	t.Helper()
	path := "/api/sessions/" + itoa(sess.ID)
	var committee struct {
		Items []room.CommitteeEntry `json:"items"`
	}
	require.Equal(t, http.StatusOK, staff.do("GET", path+"/committee", nil, &committee))
	require.NotEmpty(t, committee.Items)
	member := committee.Items[0].MemberID
	require.Equal(t, http.StatusOK, staff.do("POST", "/api/members/"+itoa(member)+"/answer", map[string]any{"accept": true}, nil))
	var roomID int64
	for _, r := range sess.Rooms {
		if r.VenueCode == venue {
			roomID = r.ID
		}
	}
	var si room.SignIn
	require.Equal(t, http.StatusCreated, staff.do("POST", path+"/signins", map[string]any{"member_id": member, "room_id": roomID, "seat": 1,
		"id_suffix": idSuffix(t, m, member)}, &si))
	require.NotNil(t, si.EvaluatorCode)
	return si
}

// evCodeLogin logs in on base with an evaluator code, outside the browser.
func evCodeLogin(t *testing.T, base, code string) (*client, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, http: &http.Client{Jar: jar}}
	return c, c.do("POST", "/api/login/code", map[string]string{"code": code}, nil)
}

// evPublishCamera publishes a synthetic camera (real VP8, 320×240
// at 15 fps, the time drawn on it) over c until the test ends.
func evPublishCamera(t *testing.T, c *sfuclient.Client, label string) {
	t.Helper()
	cam, err := devices.OpenCamera(devices.CameraConfig{Name: "cam-" + label, Device: devices.Synthetic, Width: 320, Height: 240,
		FPS: 15, Codec: frame.VP8, BitrateKbps: 400, KeyframeInterval: time.Second, Label: label}, devices.Options{})
	require.NoError(t, err)
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, label+"-cam", label)
	require.NoError(t, err)
	pctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err = c.Publish(pctx, track)
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			f, err := cam.Read(ctx)
			if err != nil {
				return
			}
			_ = track.WriteSample(media.Sample{Data: f.Data, Duration: f.Duration})
		}
	}()
	t.Cleanup(func() { stop(); <-done; _ = cam.Close() })
}

// evFetch is the status of a GET of path from the page (with its
// cookie).
func evFetch(t *testing.T, ctx context.Context, path string) int {
	t.Helper()
	return browsertest.Eval[int](t, ctx, `fetch(`+strconv.Quote(path)+`, {headers: {'X-Requested-With': 'evalroom'}}).then(r => r.status)`)
}

// evPlaying reports whether the video matched by sel shows frames:
// videoWidth > 0 and its time advancing.
func evPlaying(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	return browsertest.Eval[bool](t, ctx, `import('/static/rtc.js').then(m => {
		const v = document.querySelector(`+strconv.Quote(sel)+`);
		return v ? m.playing(v, 20000) : false; })`)
}

// evFieldError waits for the error beside the field named name inside
// scope to read want.
func evFieldError(t *testing.T, ctx context.Context, scope, name, want string) {
	t.Helper()
	sel := scope + ` small.field-error[data-for="` + name + `"]`
	browsertest.WaitFor(t, ctx, `(document.querySelector(`+strconv.Quote(sel)+`)||{}).textContent === `+strconv.Quote(want), 15*time.Second)
}

// evType replaces the value of the input matched by sel with text,
// typed as a user would.
func evType(sel, text string) chromedp.Action[chromedp.Void] {
	clear := `(el => { el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); return true })(document.querySelector(` +
		strconv.Quote(sel) + `))`
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](clear)(ctx, tg)
			return err
		}),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
}

type evScores struct {
	Items []room.ScoreRecord `json:"items"`
	Total int                `json:"total"`
}

// TestEvaluatorJoinMediaAndScoring: staff sign an expert in and get a
// one-time code; on /join a wrong code is refused beside the field and
// the right one opens /evaluator; a used code is refused; the page
// follows the phase live; the evaluator publishes the fake camera (a
// server-side subscriber receives it) and sees the other venue's video
// playing; a bad score is refused beside its field and saves nothing; a
// score and its correction make two records; the evaluator cannot open
// the supervisor wall or the archive.
func TestEvaluatorJoinMediaAndScoring(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	m, base := startApp(t)
	admin, staffNJ, staffHF := login(t, base, "admin"), login(t, base, "staff-nj"), login(t, base, "staff-hf")
	sess := demoSession(t, staffNJ)
	path := "/api/sessions/" + itoa(sess.ID)
	roomOf := map[string]room.Room{}
	for _, r := range sess.Rooms {
		roomOf[r.VenueCode] = r
	}
	sheet := room.ScoreSheet{
		Bidders:  []room.Bidder{{Code: "B1", Name: "甲建设集团有限公司"}, {Code: "B2", Name: "乙建工有限公司"}},
		Criteria: []room.Criterion{{Code: "tech", Name: "技术方案", Min: 0, Max: 60}, {Code: "price", Name: "投标报价", Min: 0, Max: 30}},
	}
	require.Equal(t, http.StatusOK, admin.do("PUT", path+"/scoresheet", sheet, nil))
	require.Equal(t, http.StatusOK, staffNJ.do("POST", path+"/phase", map[string]string{"phase": "signin"}, nil))
	nj := evSeatExpert(t, m, staffNJ, sess, room.DemoMainVenue)
	hf := evSeatExpert(t, m, staffHF, sess, room.DemoRemoteVenue)

	b := browsertest.New(t)
	ctx := b.Ctx

	// /join: an empty and a wrong code are refused beside the field.
	b.Do(30*time.Second, chromedp.Navigate(base+"/join"), chromedp.WaitVisible(chromedp.CSS(`#join input[name=code]`)),
		chromedp.Click(chromedp.CSS(`#join button[type=submit]`)))
	evFieldError(t, ctx, `#join`, "code", "请输入评标码")
	b.Do(20*time.Second, evType(`#join input[name=code]`, "zzzzzzzz"), chromedp.Click(chromedp.CSS(`#join button[type=submit]`)))
	evFieldError(t, ctx, `#join`, "code", "评标码无效、已使用或已过期")
	require.Equal(t, "ZZZZ-ZZZZ", browsertest.Eval[string](t, ctx, `document.querySelector('#join input[name=code]').value`), "typed as shown")
	require.Equal(t, http.StatusUnauthorized, evFetch(t, ctx, "/api/me"), "not logged in")
	b.Shot("evaluator-join-wrong-code")

	// The right code opens the evaluator page, before evaluation starts.
	b.Do(30*time.Second, evType(`#join input[name=code]`, nj.EvaluatorCode.Code), chromedp.Click(chromedp.CSS(`#join button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#session-head #phase`)))
	require.Equal(t, "/evaluator", browsertest.Eval[string](t, ctx, `location.pathname`))
	head := browsertest.Text(t, ctx, `#session-head`)
	require.Contains(t, head, sess.ProjectName)
	require.Contains(t, head, nj.MemberName)
	require.Equal(t, "签到中", browsertest.Text(t, ctx, `#phase`))
	require.Equal(t, "JS-NJ · "+roomOf[room.DemoMainVenue].Name+" · 1 号座", browsertest.Text(t, ctx, `#seat`))
	browsertest.WaitText(t, ctx, "评标进行中才能打分", 10*time.Second)
	require.True(t, browsertest.Eval[bool](t, ctx, `document.querySelector('form[data-bidder=B1] button[type=submit]').disabled`))
	b.Shot("evaluator-before-evaluation")

	// A used code is refused, on the phone-sized join page (from the QR
	// link) as through the API.
	_, status := evCodeLogin(t, base, nj.EvaluatorCode.Code)
	require.Equal(t, http.StatusUnauthorized, status)
	phone := b.NewTab()
	browsertest.Do(t, phone, 30*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/join?c="+nj.EvaluatorCode.Code), chromedp.WaitVisible(chromedp.CSS(`#join input[name=code]`)))
	require.Equal(t, nj.EvaluatorCode.Code, browsertest.Eval[string](t, phone, `document.querySelector('#join input[name=code]').value`), "the QR link fills the code in")
	require.Equal(t, "/join", browsertest.Eval[string](t, phone, `location.pathname + location.search`), "and leaves the address bar")
	browsertest.Do(t, phone, 20*time.Second, chromedp.Click(chromedp.CSS(`#join button[type=submit]`)))
	evFieldError(t, phone, `#join`, "code", "评标码无效、已使用或已过期")
	browsertest.Shot(t, phone, "evaluator-join-used-code-phone")

	// Evaluation starts: the page follows live.
	require.Equal(t, http.StatusOK, staffNJ.do("POST", path+"/phase", map[string]string{"phase": "evaluating"}, nil))
	browsertest.WaitFor(t, ctx, `document.querySelector('#phase').dataset.phase === 'evaluating'`, 15*time.Second)
	browsertest.WaitFor(t, ctx, `!document.querySelector('#score-phase-note') && !document.querySelector('form[data-bidder=B1] button[type=submit]').disabled`, 15*time.Second)
	b.Shot("evaluator-evaluating")

	// The evaluator's camera: published and received on the server side
	// by the Hefei staff's subscriber.
	var me struct {
		ID int64 `json:"id"`
	}
	me.ID = int64(browsertest.Eval[float64](t, ctx, `fetch('/api/me').then(r => r.json()).then(u => u.id)`))
	mediaToken := func(c *client, roomID int64, publish bool) string {
		var out struct {
			Token string `json:"token"`
		}
		require.Equal(t, http.StatusOK, c.do("POST", path+"/media-token", map[string]any{"room_id": roomID, "publish": publish}, &out))
		return out.Token
	}
	events := &eventLog{}
	recv := newReceiver()
	jctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	watcher, err := sfuclient.Join(jctx, "ws://"+m.Addr+"/media/ws", mediaToken(staffHF, roomOf[room.DemoRemoteVenue].ID, false),
		sfuclient.Options{OnTrack: recv.onTrack, OnEvent: events.add})
	cancel()
	require.NoError(t, err)
	t.Cleanup(func() { _ = watcher.Close() })
	b.Do(20*time.Second, chromedp.Click(chromedp.CSS(`#camera-toggle`)))
	// The first getUserMedia of a browser takes seconds (the fake device starts).
	browsertest.WaitFor(t, ctx, `!!document.querySelector('#local-video video')`, 60*time.Second)
	require.True(t, evPlaying(t, ctx, `#local-video video`), "the own camera shows")
	evaluatorParticipant := func() string {
		subject := "user:" + itoa(me.ID)
		for _, p := range watcher.Joined().Participants {
			if p.Subject == subject {
				return p.ID
			}
		}
		for _, e := range events.all() {
			if e.Type == sfu.TypeParticipantJoined && e.Participant != nil && e.Participant.Subject == subject {
				return e.Participant.ID
			}
		}
		return ""
	}
	waitFor(t, "the evaluator's camera and microphone at a server-side subscriber", func() bool {
		p := evaluatorParticipant()
		return p != "" && recv.has(p, 30)
	})
	require.Equal(t, "关闭摄像头", browsertest.Text(t, ctx, `#camera-toggle`))
	b.Shot("evaluator-camera-on")

	// The Hefei evaluator publishes a camera (a pion peer): the Nanjing
	// evaluator sees it playing, labelled with the venue and room; the
	// own room is not shown.
	hfClient, status := evCodeLogin(t, base, hf.EvaluatorCode.Code)
	require.Equal(t, http.StatusOK, status)
	jctx, cancel = context.WithTimeout(context.Background(), 15*time.Second)
	hfPeer, err := sfuclient.Join(jctx, "ws://"+m.Addr+"/media/ws", mediaToken(hfClient, roomOf[room.DemoRemoteVenue].ID, true), sfuclient.Options{})
	cancel()
	require.NoError(t, err)
	t.Cleanup(func() { _ = hfPeer.Close() })
	evPublishCamera(t, hfPeer, "hefei")
	hfTile := `#remote-tiles .video-tile[data-room="` + itoa(roomOf[room.DemoRemoteVenue].ID) + `"]`
	browsertest.WaitFor(t, ctx, `!!document.querySelector(`+strconv.Quote(hfTile+` video`)+`)`, 30*time.Second)
	require.True(t, evPlaying(t, ctx, hfTile+` video`), "the other venue's video plays")
	require.Contains(t, browsertest.Text(t, ctx, hfTile+` .label`), "AH-HF · "+roomOf[room.DemoRemoteVenue].Name)
	require.Contains(t, browsertest.Text(t, ctx, hfTile+` .label`), hf.MemberName)
	require.False(t, browsertest.Eval[bool](t, ctx, `!!document.querySelector('#remote-tiles .video-tile[data-room="`+itoa(roomOf[room.DemoMainVenue].ID)+`"]')`),
		"the own room is not shown back")
	b.Shot("evaluator-other-venue")

	// Bad scores: beside their fields, nothing saved.
	b1 := `form[data-bidder=B1]`
	b.Do(20*time.Second, evType(b1+` input[name="v:price"]`, "45"), chromedp.Click(chromedp.CSS(b1+` button[type=submit]`)))
	evFieldError(t, ctx, b1, "v:tech", "请填写分值")
	evFieldError(t, ctx, b1, "v:price", "分值须在 0 至 30 之间")
	b.Shot("evaluator-score-required")
	b.Do(20*time.Second, evType(b1+` input[name="v:tech"]`, "52.555"), chromedp.Click(chromedp.CSS(b1+` button[type=submit]`)))
	evFieldError(t, ctx, b1, "v:tech", "分值最多保留两位小数")
	var records evScores
	require.Equal(t, http.StatusOK, admin.do("GET", path+"/scores", nil, &records))
	require.Zero(t, records.Total, "nothing saved")
	b.Shot("evaluator-score-errors")

	// A score for both criteria.
	b.Do(20*time.Second, evType(b1+` input[name="v:tech"]`, "52.5"), evType(b1+` input[name="v:price"]`, "28"),
		chromedp.Click(chromedp.CSS(b1+` button[type=submit]`)))
	browsertest.WaitFor(t, ctx, `document.querySelectorAll('#my-records tbody tr').length === 2`, 15*time.Second)
	require.Contains(t, browsertest.Text(t, ctx, b1+` .bidder-head`), "已提交 2/2")
	require.Equal(t, http.StatusOK, admin.do("GET", path+"/scores", nil, &records))
	require.Equal(t, 2, records.Total)
	var tech room.ScoreRecord
	for _, r := range records.Items {
		require.Equal(t, me.ID, r.EvaluatorUserID)
		if r.Criterion == "tech" {
			tech = r
		}
	}
	require.Equal(t, 52.5, tech.Value)
	b.Shot("evaluator-scored")

	// 更正: a reason is required; the correction is a second record
	// pointing at the first, which stays.
	cell := b1 + ` .crit.scored[data-criterion=tech]`
	b.Do(20*time.Second, chromedp.Click(chromedp.CSS(cell+` button.correct`)), evType(cell+` input[name=value]`, "55"),
		chromedp.Click(chromedp.CSS(cell+` button[data-action=submit-correction]`)))
	evFieldError(t, ctx, cell, "comment", "更正必须填写原因")
	b.Do(20*time.Second, evType(cell+` input[name=comment]`, "复核技术方案后调整"),
		chromedp.Click(chromedp.CSS(cell+` button[data-action=submit-correction]`)))
	browsertest.WaitFor(t, ctx, `document.querySelectorAll('#my-records tbody tr').length === 3`, 15*time.Second)
	require.Contains(t, browsertest.Text(t, ctx, `#my-records tr[data-id="`+itoa(tech.ID)+`"]`), "更正")
	require.Equal(t, "55.00", browsertest.Text(t, ctx, cell+` .score-value`))
	require.Equal(t, http.StatusOK, admin.do("GET", path+"/scores", nil, &records))
	require.Equal(t, 3, records.Total)
	var correction room.ScoreRecord
	for _, r := range records.Items {
		if r.Corrects == tech.ID {
			correction = r
		}
		if r.ID == tech.ID {
			require.False(t, r.Effective, "the first record stays, corrected")
		}
	}
	require.Equal(t, 55.0, correction.Value)
	require.Equal(t, "复核技术方案后调整", correction.Comment)
	require.True(t, correction.Effective)
	b.Shot("evaluator-corrected")

	// The evaluator sees only their own records.
	require.Equal(t, http.StatusCreated, hfClient.do("POST", path+"/scores", map[string]any{"bidder": "B2", "criterion": "price", "value": 20}, nil))
	require.Equal(t, 3, browsertest.Eval[int](t, ctx, `fetch('`+path+`/scores').then(r => r.json()).then(l => l.total)`))

	// No supervisor wall, no archive: the pages say so and the API refuses.
	for _, page := range []struct{ path, api string }{{"/wall", "/api/audit"}, {"/archive", path + "/archive/export"}} {
		b.Do(30*time.Second, chromedp.Navigate(base+page.path), chromedp.WaitVisible(chromedp.CSS(`.denied`)))
		require.Contains(t, browsertest.Text(t, ctx, `.denied`), "无权访问")
		require.Equal(t, http.StatusForbidden, evFetch(t, ctx, page.api), page.api)
		b.Shot("evaluator-denied" + strings.ReplaceAll(page.path, "/", "-"))
	}
}
