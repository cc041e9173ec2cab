package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/browsertest"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
)

// tilesPlaying reports how many of the wall's tiles show video that
// plays: frames decoded (videoWidth > 0) and time advancing over a second.
const tilesPlaying = `(async () => {
	const vids = [...document.querySelectorAll('#wall-grid .wall-tile video')];
	const before = vids.map(v => v.currentTime);
	await new Promise(r => setTimeout(r, 1000));
	return vids.filter((v, i) => v.videoWidth > 0 && v.currentTime > before[i]).length;
})()`

// TestWallPage: a supervisor's wall shows both rooms of the running demo
// session playing (edge recorders publishing), enlarges one with sound
// and back, streams the operation log as staff pause the session, stays
// invisible to the rooms, cannot publish, and each watch is audited; an
// evaluator is refused the page.
func TestWallPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	m, base := startApp(t)
	admin, staff := login(t, base, "admin"), login(t, base, "staff-nj")
	sess, path := startEvaluating(t, admin, staff)
	nj := newEdge(t, base, m.Config.Secrets.MasterKey, room.DemoMainRecorder)
	hf := newEdge(t, base, m.Config.Secrets.MasterKey, room.DemoRemoteRecorder)
	nj.start()
	hf.start()
	for _, e := range []*edgeProc{nj, hf} {
		waitFor(t, e.id+" live", func() bool { s, ok := e.status(); return ok && s.Live != nil && s.Live.Connected })
	}

	roomOf := map[string]int64{}
	for _, r := range sess.Rooms {
		roomOf[r.VenueCode] = r.ID
	}
	b := browsertest.New(t)
	wall := b.Ctx
	b.Login(base, "supervisor", demoPassword)
	loc, err := chromedp.Run(wall, chromedp.Location())
	require.NoError(t, err)
	require.Equal(t, base+"/wall", loc, "the supervisor's home is the wall")
	browsertest.WaitFor(t, wall, `document.querySelectorAll('#wall-grid .wall-tile video').length >= 2`, 60*time.Second)
	browsertest.WaitFor(t, wall, `[...document.querySelectorAll('#wall-grid .wall-tile video')].every(v => v.videoWidth > 0)`, 60*time.Second)
	require.Equal(t, 2, browsertest.Eval[int](t, wall, tilesPlaying), "both rooms play")
	rooms := browsertest.Eval[[]string](t, wall, `[...new Set([...document.querySelectorAll('#wall-grid .wall-tile')].map(t => t.dataset.room))].sort()`)
	require.ElementsMatch(t, []string{itoa(roomOf[room.DemoMainVenue]), itoa(roomOf[room.DemoRemoteVenue])}, rooms)
	require.Contains(t, browsertest.Text(t, wall, `#wall-grid`), "DEMO-1 · JS-NJ · 第一评标室")
	b.Shot("wall-1-grid")

	// Hefei's staff join their room while the supervisor watches: the
	// room's participant list does not show the supervisor, nor does any
	// later event.
	staffHF := login(t, base, "staff-hf")
	var tok struct {
		Token string `json:"token"`
	}
	require.Equal(t, http.StatusOK, staffHF.do("POST", path+"/media-token", map[string]any{"room_id": roomOf[room.DemoRemoteVenue]}, &tok))
	seen := &eventLog{}
	jctx, jcancel := context.WithTimeout(context.Background(), 15*time.Second)
	peer, err := sfuclient.Join(jctx, "ws://"+m.Addr+"/media/ws", tok.Token, sfuclient.Options{OnEvent: seen.add})
	jcancel()
	require.NoError(t, err)
	defer peer.Close()

	joined := peer.Joined()
	require.NotEmpty(t, joined.Participants, "the Hefei peer sees the rooms' recorders")
	for _, p := range joined.Participants {
		require.NotEqual(t, "supervisor", p.Role, "the participant list shows the supervisor")
	}
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/media-token", map[string]any{"room_id": roomOf[room.DemoMainVenue]}, &tok))
	jctx, jcancel = context.WithTimeout(context.Background(), 15*time.Second)
	other, err := sfuclient.Join(jctx, "ws://"+m.Addr+"/media/ws", tok.Token, sfuclient.Options{})
	jcancel()
	require.NoError(t, err)
	require.NoError(t, other.Leave())

	// A click enlarges a room with its sound; another click goes back.
	hfTile := fmt.Sprintf(`#wall-grid .wall-tile[data-room="%d"]`, roomOf[room.DemoRemoteVenue])
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(hfTile)))
	browsertest.WaitFor(t, wall, fmt.Sprintf(`document.querySelector('%s').classList.contains('focused')`, hfTile), 10*time.Second)
	require.True(t, browsertest.Eval[bool](t, wall, fmt.Sprintf(
		`document.querySelector('%s').getBoundingClientRect().width > document.querySelector('#wall-grid').getBoundingClientRect().width * 0.9`, hfTile)),
		"the enlarged room spans the wall")
	require.True(t, browsertest.Eval[bool](t, wall, `(() => {
		const on = [...document.querySelectorAll('audio')].filter(a => !a.muted);
		return on.length > 0 && on.every(a => !a.paused);
	})()`), "the enlarged room's sound plays")
	require.Equal(t, 2, browsertest.Eval[int](t, wall, tilesPlaying), "both rooms still play")
	b.Shot("wall-2-enlarged")
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(hfTile)))
	browsertest.WaitFor(t, wall, `!document.querySelector('#wall-grid .wall-tile.focused') && [...document.querySelectorAll('audio')].every(a => a.muted)`, 10*time.Second)
	b.Shot("wall-3-back")

	// The operation log streams: staff pause the session.
	top := browsertest.Eval[int](t, wall, `Number(document.querySelector('#wall-log .log-entry').dataset.seq)`)
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/phase", map[string]string{"phase": "paused"}, nil))
	browsertest.WaitFor(t, wall, fmt.Sprintf(`[...document.querySelectorAll('#wall-log .log-entry')].some(e => Number(e.dataset.seq) > %d && e.dataset.action === 'session.phase')`, top), 20*time.Second)
	entry := browsertest.Text(t, wall, `#wall-log .log-entry[data-action="session.phase"]`)
	require.Contains(t, entry, "变更评标阶段")
	require.Contains(t, entry, demoSessionRef)
	browsertest.WaitFor(t, wall, `[...document.querySelectorAll('#wall-grid .wall-tile .state')].every(s => s.textContent === '暂停')`, 10*time.Second)
	b.Shot("wall-4-log")

	// A supervisor can never publish; the API says so in Chinese.
	refusal := browsertest.Eval[string](t, wall, fmt.Sprintf(`import('/static/app.js').then(m =>
		m.api('POST', '/api/sessions/%d/media-token', {publish: true})).then(() => 'granted', e => e.status + ' ' + e.message)`, sess.ID))
	require.Equal(t, "403 监督人员只能隐身观看，不能推流", refusal)

	// Leaving the wall ends the watch: each room's watch is audited.
	b.Do(20*time.Second, chromedp.Navigate(base+"/draw"), chromedp.WaitVisible(chromedp.CSS(`#topbar .who`)))
	sup := login(t, base, "supervisor")
	var watched struct {
		Entries []struct{ Actor, Object string } `json:"entries"`
	}
	waitFor(t, "the supervisor's watches in the audit log", func() bool {
		require.Equal(t, http.StatusOK, sup.do("GET", "/api/audit?action=media.watch", nil, &watched))
		objects := map[string]bool{}
		for _, e := range watched.Entries {
			objects[e.Object] = true
		}
		return objects["room:"+itoa(roomOf[room.DemoMainVenue])] && objects["room:"+itoa(roomOf[room.DemoRemoteVenue])]
	})

	// Nobody in the rooms heard of the supervisor.
	waitFor(t, "the Hefei peer hears of Nanjing's staff", func() bool { return len(seen.all()) > 0 })
	for _, e := range seen.all() {
		if e.Participant != nil {
			require.NotEqual(t, "supervisor", e.Participant.Role, "event %s named the supervisor", e.Type)
		}
		for _, p := range e.Participants {
			require.NotEqual(t, "supervisor", p.Role, "event %s listed the supervisor", e.Type)
		}
	}

	// An evaluator is refused the wall.
	eb := browsertest.New(t)
	eb.Login(base, "expert-demo", demoPassword)
	eb.Do(20*time.Second, chromedp.Navigate(base+"/wall"), chromedp.WaitVisible(chromedp.CSS(`.denied`)))
	require.Contains(t, browsertest.Text(t, eb.Ctx, `.denied`), "无权访问此页面")
	require.False(t, browsertest.Eval[bool](t, eb.Ctx, `!!document.querySelector('#wall-grid')`))
	eb.Shot("wall-5-evaluator-denied")
}
