package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/browsertest"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/segment"
	"github.com/evalroom/evalroom/room"
)

// archiveFPS is the frame rate of the archive test's video.
const archiveFPS = 15

// roomMedia is real media for a room's recording: H.264 (320×180,
// 15 fps, a keyframe each second) and Opus, made once with ffmpeg and
// re-timed for each room.
type roomMedia struct {
	video [][]byte
	audio fmp4test.OpusStream
}

// newRoomMedia encodes seconds of test pattern and tone.
func newRoomMedia(t *testing.T, seconds int) roomMedia {
	t.Helper()
	m := roomMedia{
		video: fmp4test.H264(t, fmp4test.Video{Width: 320, Height: 180, FPS: archiveFPS, Seconds: float64(seconds), GOP: archiveFPS}),
		audio: fmp4test.Opus(t, float64(seconds)),
	}
	require.Len(t, m.video, seconds*archiveFPS)
	return m
}

// timedFrame is a frame of a track at its capture time.
type timedFrame struct {
	track uint32
	frame segment.Frame
}

// frames re-times the media from start, in capture order.
func (m roomMedia) frames(start time.Time) []timedFrame {
	var out []timedFrame
	for i, au := range m.video {
		at := start.Add(time.Duration(i) * time.Second / archiveFPS)
		out = append(out, timedFrame{1, segment.Frame{UTC: at, Data: au, Duration: time.Second / archiveFPS}})
	}
	at := start
	for _, pkt := range m.audio.Packets {
		out = append(out, timedFrame{2, segment.Frame{UTC: at, Data: pkt}})
		at = at.Add(time.Duration(fmp4.OpusPacketSamples(pkt)) * time.Second / 48000)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].frame.UTC.Before(out[j].frame.UTC) })
	return out
}

// recordRoom writes the media from start as the room's recorder would:
// segments of 4 s or more (each starting at a keyframe), nothing during
// gap (when its reason is set; the writer records it), then signs each
// segment's manifest in the recorder's chain and uploads segment and
// manifest with the recorder's device token. It returns the segments.
func recordRoom(t *testing.T, base, masterKey string, r room.Room, sessionID int64, m roomMedia, start time.Time, gap segment.Gap) []segment.SegmentInfo {
	t.Helper()
	dir := t.TempDir()
	var infos []segment.SegmentInfo
	w, err := segment.NewWriter(segment.Params{Dir: dir, Recorder: r.RecorderID, Length: 4 * time.Second, Fsync: segment.FsyncNever,
		Tags: map[string]string{"recorder": r.RecorderID},
		Tracks: []fmp4.Track{{ID: 1, Kind: fmp4.Video, Codec: fmp4.H264},
			{ID: 2, Kind: fmp4.Audio, Codec: fmp4.Opus, Channels: m.audio.Head.Channels, PreSkip: m.audio.Head.PreSkip}},
		OnClosed: func(i segment.SegmentInfo) { infos = append(infos, i) }})
	require.NoError(t, err)
	marked := false
	for _, f := range m.frames(start) {
		if gap.Reason != "" && !f.frame.UTC.Before(gap.From) {
			if f.frame.UTC.Before(gap.To) {
				continue
			}
			if !marked {
				require.NoError(t, w.MarkGap(gap.From, gap.To, gap.Reason))
				marked = true
			}
		}
		if err := w.WriteFrame(f.track, f.frame); err != nil && !errors.Is(err, segment.ErrNeedKeyframe) {
			require.NoError(t, err)
		}
	}
	require.NoError(t, w.Close())
	require.NotEmpty(t, infos)

	keys, err := seal.ParseKey(masterKey)
	require.NoError(t, err)
	chain, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(t.TempDir(), "chain.state"), Recorder: r.RecorderID,
		Key: DemoRecorderKey(keys, r.RecorderID), Dir: dir})
	require.NoError(t, err)
	status, tok := deviceToken(t, base, masterKey, r.RecorderID)
	require.Equal(t, http.StatusOK, status)
	send := func(method, p string, body []byte) {
		req, err := http.NewRequest(method, base+p, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode, "%s %s", method, p)
	}
	tracks := []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: archiveFPS},
		{Kind: "audio", Name: "mic", Codec: "opus", SampleRate: 48000, Channels: m.audio.Head.Channels}}
	for _, info := range infos {
		in := manifest.Info{Recorder: r.RecorderID, Room: itoa(r.ID), Session: itoa(sessionID), Start: info.UTCStart, End: info.UTCEnd, Tracks: tracks}
		for _, g := range info.Gaps {
			in.Gaps = append(in.Gaps, manifest.Gap{From: g.From, To: g.To, Reason: g.Reason})
		}
		mf, err := manifest.Build(info.Path, in)
		require.NoError(t, err)
		_, err = chain.Append(mf)
		require.NoError(t, err)
		data, err := os.ReadFile(info.Path)
		require.NoError(t, err)
		raw, err := os.ReadFile(filepath.Join(dir, manifest.ManifestName(filepath.Base(info.Path))))
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		send("PUT", "/archive/segments/"+hex.EncodeToString(sum[:]), data)
		send("POST", "/archive/manifests", raw)
	}
	return infos
}

// archiveDay is a session recorded in both demo rooms around one
// scoring record: Nanjing from 12 s before the record to 8 s after it,
// Hefei too but for a camera lost from 6 s to 3 s before it.
type archiveDay struct {
	m        *Main
	base     string
	sess     room.Session
	score    room.ScoreRecord
	gap      segment.Gap
	segments map[int64][]segment.SegmentInfo
	admin    *client
	staff    *client
	expert   *client
}

// recordArchiveDay starts evalroomd, takes the demo session to
// evaluating, has the evaluator score and both rooms' recordings
// uploaded.
func recordArchiveDay(t *testing.T) *archiveDay {
	t.Helper()
	media := newRoomMedia(t, 20)
	cfg := testConfig(t)
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	t.Cleanup(func() { m.Close(context.Background()) })
	d := &archiveDay{m: m, base: "http://" + m.Addr, segments: map[int64][]segment.SegmentInfo{}}
	d.admin, d.staff, d.expert = login(t, d.base, "admin"), login(t, d.base, "staff-nj"), login(t, d.base, "expert-demo")
	var path string
	d.sess, path = startEvaluating(t, d.admin, d.staff)
	require.Equal(t, http.StatusCreated, d.expert.do("POST", path+"/scores", map[string]any{"bidder": "B1", "criterion": "C1", "value": 25.5}, &d.score))
	at := d.score.RecordedAt
	// Whole seconds before the record, so that the camera comes back on a
	// keyframe.
	start := at.Add(-12 * time.Second)
	d.gap = segment.Gap{From: start.Add(6 * time.Second), To: start.Add(9 * time.Second), Reason: "设备中断：cam1"}
	for _, r := range d.sess.Rooms {
		var gap segment.Gap
		if r.VenueCode == room.DemoRemoteVenue {
			gap = d.gap
		}
		d.segments[r.ID] = recordRoom(t, d.base, cfg.Secrets.MasterKey, r, d.sess.ID, media, start, gap)
	}
	return d
}

// TestArchiveTimelineAPI checks the archive search and timeline over real
// recordings: both rooms' segments, Hefei's recorded gap, the scoring
// record, refusals of bad input and of roles without access, and the
// audit entries.
func TestArchiveTimelineAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	d := recordArchiveDay(t)
	archivist := login(t, d.base, "archivist")

	var found struct {
		Items []struct {
			ID      int64 `json:"id"`
			Archive struct {
				Segments      int    `json:"segments"`
				RoomsRecorded int    `json:"rooms_recorded"`
				Gaps          int    `json:"gaps"`
				State         string `json:"state"`
			} `json:"archive"`
		} `json:"items"`
		Total int `json:"total"`
	}
	day := d.sess.StartsAt.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	require.Equal(t, http.StatusOK, archivist.do("GET", "/api/archive/sessions?project=演示项目&room=第二评标室&date_from="+day+"&date_to="+day, nil, &found))
	require.Equal(t, 1, found.Total)
	require.Equal(t, d.sess.ID, found.Items[0].ID)
	n := len(d.segments[d.sess.Rooms[0].ID]) + len(d.segments[d.sess.Rooms[1].ID])
	require.Equal(t, n, found.Items[0].Archive.Segments)
	require.Equal(t, 2, found.Items[0].Archive.RoomsRecorded)
	require.Equal(t, 1, found.Items[0].Archive.Gaps)
	require.Equal(t, "verified", found.Items[0].Archive.State)
	require.Equal(t, http.StatusOK, archivist.do("GET", "/api/archive/sessions?q=no-such-project", nil, &found))
	require.Zero(t, found.Total)

	// By expert: a member who confirmed is found, one who has not
	// answered is not (the committee is revealed, and audited, by the pool).
	ctx := context.Background()
	members, err := d.m.pool.RevealMembers(ctx, "system:test", d.sess.DrawID, "")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(members), 2)
	_, err = d.m.pool.RecordPhoneAnswer(ctx, "system:test", members[0].MemberID, true, "")
	require.NoError(t, err)
	var byExpert struct {
		Items []struct {
			ID      int64    `json:"id"`
			Experts []string `json:"experts"`
		} `json:"items"`
		Total int `json:"total"`
	}
	require.Equal(t, http.StatusOK, archivist.do("GET", "/api/archive/sessions?expert="+url.QueryEscape(members[0].Name), nil, &byExpert))
	require.Equal(t, 1, byExpert.Total)
	require.Equal(t, []string{members[0].Name}, byExpert.Items[0].Experts)
	if !strings.Contains(members[0].Name, members[1].Name) {
		require.Equal(t, http.StatusOK, archivist.do("GET", "/api/archive/sessions?expert="+url.QueryEscape(members[1].Name), nil, &byExpert))
		require.Zero(t, byExpert.Total, "an expert who has not confirmed sat on no committee")
	}

	var apiErr struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	for _, tc := range []struct{ query, field, message string }{
		{"date_from=2026-02-30", "date_from", "开始日期格式应为 年-月-日，例如 2026-03-14"},
		{"date_from=2026-03-14&date_to=2026-03-13", "date_to", "结束日期不能早于开始日期"},
		{"expert=" + string(bytes.Repeat([]byte("张"), 65)), "expert", "专家姓名不能超过64个字"},
	} {
		require.Equal(t, http.StatusUnprocessableEntity, archivist.do("GET", "/api/archive/sessions?"+tc.query, nil, &apiErr), tc.query)
		require.Equal(t, tc.field, apiErr.Error.Field)
		require.Equal(t, tc.message, apiErr.Error.Message)
	}

	var tl struct {
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
		Rooms []struct {
			ID       int64 `json:"id"`
			Segments []struct {
				Hash        string    `json:"hash"`
				Start       time.Time `json:"start"`
				VerifyState string    `json:"verify_state"`
			} `json:"segments"`
			Gaps []struct {
				From     time.Time `json:"from"`
				To       time.Time `json:"to"`
				Reason   string    `json:"reason"`
				Recorded bool      `json:"recorded"`
			} `json:"gaps"`
		} `json:"rooms"`
		Scores []struct {
			ID         int64     `json:"id"`
			At         time.Time `json:"at"`
			Evaluator  string    `json:"evaluator"`
			BidderName string    `json:"bidder_name"`
		} `json:"scores"`
		Phases []struct{ To string } `json:"phases"`
	}
	path := "/api/sessions/" + itoa(d.sess.ID) + "/archive/timeline"
	require.Equal(t, http.StatusOK, archivist.do("GET", path, nil, &tl))
	require.Len(t, tl.Rooms, 2)
	for _, lane := range tl.Rooms {
		require.Len(t, lane.Segments, len(d.segments[lane.ID]))
		require.Equal(t, "verified", lane.Segments[0].VerifyState)
		if lane.ID == d.sess.Rooms[1].ID {
			require.Len(t, lane.Gaps, 1)
			require.True(t, lane.Gaps[0].Recorded)
			require.Equal(t, "设备中断：cam1", lane.Gaps[0].Reason)
		} else {
			require.Empty(t, lane.Gaps)
		}
	}
	require.Len(t, tl.Scores, 1)
	require.Equal(t, d.score.ID, tl.Scores[0].ID)
	require.True(t, tl.Scores[0].At.Equal(d.score.RecordedAt))
	require.Equal(t, "投标人甲", tl.Scores[0].BidderName)
	require.Equal(t, []struct{ To string }{{"signin"}, {"evaluating"}}, tl.Phases)

	for _, c := range []*client{d.expert, d.staff} {
		require.Equal(t, http.StatusForbidden, c.do("GET", path, nil, nil))
		require.Equal(t, http.StatusForbidden, c.do("GET", "/api/archive/sessions", nil, nil))
	}
	for _, action := range []string{"archive.search", "archive.timeline"} {
		var list struct {
			Entries []struct{ Actor, Object string } `json:"entries"`
		}
		require.Equal(t, http.StatusOK, d.admin.do("GET", "/api/audit?action="+action, nil, &list))
		require.NotEmpty(t, list.Entries, action)
	}
}

// playerState is what the archive page's players show.
type playerState struct {
	Room    int64   `json:"room"`
	Hash    string  `json:"hash"`
	Time    float64 `json:"time"`
	Width   int     `json:"width"`
	Ready   int     `json:"ready"`
	Seeking bool    `json:"seeking"`
	Paused  bool    `json:"paused"`
	Overlay string  `json:"overlay"`
	Start   string  `json:"start"`
}

// playersJS reads every room player's shown video.
const playersJS = `[...document.querySelectorAll('.room-player')].map((p) => {
	const v = p.querySelector('video.active');
	const o = p.querySelector('.gap-overlay');
	return {room: Number(p.dataset.room), hash: v.dataset.hash || '', time: v.currentTime, width: v.videoWidth,
		ready: v.readyState, seeking: v.seeking, paused: v.paused, overlay: o.hidden ? '' : o.textContent};
})`

// TestArchivePage drives the archive page in Chromium: the archivist
// searches (a bad date is refused beside its field), opens the session,
// sees both rooms and Hefei's gap on the timeline, clicks the scoring
// record and finds every room's player at that instant, plays both rooms
// on one clock, sees the gap's reason over Hefei's player, verifies the
// session (intact) and downloads the evidence export, which verifies
// offline; every view is audited; an evaluator and venue staff are
// refused.
func TestArchivePage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	browsertest.Path(t)
	d := recordArchiveDay(t)
	archivist := login(t, d.base, "archivist")
	b := browsertest.New(t)
	ctx := b.Ctx
	b.Login(d.base, "archivist", demoPassword)

	// The archivist's home is the archive; the recent sessions are listed.
	row := fmt.Sprintf(`#results tr[data-session="%d"]`, d.sess.ID)
	b.Do(30*time.Second, chromedp.WaitVisible(chromedp.CSS(row)))
	waitTextIn(t, ctx, row, "演示项目")
	b.Shot("archive-1-search")

	// A date that does not exist is refused beside its field.
	b.Do(10*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#search input[name=date_from]`), "2026-02-30"),
		chromedp.Click(chromedp.CSS(`#search button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#search small.field-error[data-for=date_from]`)))
	require.Equal(t, "开始日期格式应为 年-月-日，例如 2026-03-14", browsertest.Text(t, ctx, `#search small.field-error[data-for=date_from]`))
	b.Shot("archive-2-bad-date")

	// Search by project and room.
	day := d.sess.StartsAt.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	b.Do(10*time.Second,
		chromedp.SetValue(chromedp.CSS(`#search input[name=date_from]`), day),
		chromedp.SendKeys(chromedp.CSS(`#search input[name=project]`), "演示项目"),
		chromedp.SendKeys(chromedp.CSS(`#search input[name=room]`), "第二评标室"),
		chromedp.Click(chromedp.CSS(`#search button[type=submit]`)))
	browsertest.WaitFor(t, ctx, `document.querySelector('#results-count').textContent === '共 1 场' && !document.querySelector('small.field-error')`, 10*time.Second)
	waitTextIn(t, ctx, row, "完好")

	// Open the session: two lanes, Hefei's gap with its reason, the record.
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(row+` button.open`)),
		chromedp.WaitVisible(chromedp.CSS(`.timeline .tl-score`)))
	browsertest.WaitFor(t, ctx, `document.querySelectorAll('.room-player').length === 2 && document.querySelectorAll('.tl-row.lane').length === 2`, 10*time.Second)
	hefei := d.sess.Rooms[1]
	if hefei.VenueCode != room.DemoRemoteVenue {
		hefei = d.sess.Rooms[0]
	}
	gapTitle := browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.querySelector('.tl-row.lane[data-room="%d"] .tl-gap').title`, hefei.ID))
	require.Contains(t, gapTitle, "无录像：设备中断：cam1")
	require.Equal(t, 0, browsertest.Eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('.tl-row.lane:not([data-room="%d"]) .tl-gap').length`, hefei.ID)))
	segs := browsertest.Eval[int](t, ctx, `document.querySelectorAll('.tl-seg.verified').length`)
	require.Equal(t, len(d.segments[d.sess.Rooms[0].ID])+len(d.segments[d.sess.Rooms[1].ID]), segs)
	b.Shot("archive-3-session")

	// Clicking the scoring record stands every room's player at its instant.
	var pb room.Playback
	require.Equal(t, http.StatusOK, archivist.do("GET", "/api/scores/"+itoa(d.score.ID)+"/playback", nil, &pb))
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(fmt.Sprintf(`.tl-score[data-score="%d"]`, d.score.ID))))
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`document.querySelector('#view').dataset.jumped === '%d'`, d.score.ID), 10*time.Second)
	browsertest.WaitFor(t, ctx, `(`+playersJS+`).every((p) => p.ready >= 2 && !p.seeking && p.width > 0)`, 30*time.Second)
	players := browsertest.Eval[[]playerState](t, ctx, playersJS)
	require.Len(t, players, 2)
	for _, rp := range pb.Rooms {
		require.NotNil(t, rp.Position, "room %d is recorded at the record's instant", rp.RoomID)
		var p *playerState
		for i := range players {
			if players[i].Room == rp.RoomID {
				p = &players[i]
			}
		}
		require.NotNil(t, p)
		require.Equal(t, rp.Position.Segment, p.Hash, "room %d plays the segment covering the record", rp.RoomID)
		require.InDelta(t, rp.Position.Offset.Seconds(), p.Time, 0.05, "room %d stands at the record's offset", rp.RoomID)
		require.Equal(t, 320, p.Width)
		require.True(t, p.Paused)
	}
	waitTextIn(t, ctx, "#jump-note", fmt.Sprintf("已跳转到评分记录 #%d", d.score.ID))
	b.Shot("archive-4-jumped-to-score")

	// Play: both rooms advance on the one clock, together.
	before := players
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#play`)))
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`(`+playersJS+`).every((p) => !p.paused && p.time > %f + 1.5)`, before[0].Time), 30*time.Second)
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#play`)))
	browsertest.WaitFor(t, ctx, `(`+playersJS+`).every((p) => p.paused && !p.seeking)`, 10*time.Second)
	players = browsertest.Eval[[]playerState](t, ctx, playersJS)
	starts := map[string]time.Time{}
	for _, lane := range d.segments {
		for _, s := range lane {
			data, err := os.ReadFile(s.Path)
			require.NoError(t, err)
			sum := sha256.Sum256(data)
			starts[hex.EncodeToString(sum[:])] = s.UTCStart
		}
	}
	at0 := starts[players[0].Hash].Add(time.Duration(players[0].Time * float64(time.Second)))
	at1 := starts[players[1].Hash].Add(time.Duration(players[1].Time * float64(time.Second)))
	require.InDelta(t, 0, at0.Sub(at1).Seconds(), 0.1, "both rooms show the same instant")
	b.Shot("archive-5-played")

	// Into Hefei's gap: its player says why there is nothing.
	mid := d.gap.From.Add(d.gap.To.Sub(d.gap.From) / 2)
	b.Do(10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector('#seek'); s.value = '%d';
			s.dispatchEvent(new Event('input')); return true; })()`, mid.UnixMilli()))(ctx, tg)
		return err
	}))
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`(`+playersJS+`).find((p) => p.room === %d).overlay === '无录像：设备中断：cam1'`, hefei.ID), 10*time.Second)
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`(`+playersJS+`).find((p) => p.room !== %d).width > 0`, hefei.ID), 10*time.Second)
	b.Shot("archive-6-gap")

	// Verify: intact.
	b.Do(60*time.Second, chromedp.Click(chromedp.CSS(`#verify`)),
		chromedp.WaitVisible(chromedp.CSS(`#verify-result.ok`)))
	waitTextIn(t, ctx, `#verify-result`, "校验通过")
	b.Shot("archive-7-verified")

	// Export: the browser downloads the evidence file, which verifies offline.
	file := downloadExport(t, b, ctx)
	rep, err := evidence.VerifyFile(context.Background(), file, evidence.VerifyOptions{})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
	b.Shot("archive-8-exported")

	// Every view and download is audited in the archivist's name.
	var who struct {
		ID int64 `json:"id"`
	}
	require.Equal(t, http.StatusOK, archivist.do("GET", "/api/me", nil, &who))
	for _, action := range []string{"archive.search", "archive.timeline", "archive.view", "archive.verify", "archive.export"} {
		var list struct {
			Entries []struct{ Actor, Object string } `json:"entries"`
		}
		require.Equal(t, http.StatusOK, d.admin.do("GET", "/api/audit?actor=user:"+itoa(who.ID)+"&action="+action, nil, &list))
		require.NotEmpty(t, list.Entries, action)
	}

	// A supervisor reads the session but neither verifies nor exports.
	sup := browserLogin(t, d.base, "supervisor")
	sup.Do(30*time.Second, chromedp.Navigate(d.base+"/archive?session="+itoa(d.sess.ID)), chromedp.WaitVisible(chromedp.CSS(`.timeline .tl-score`)))
	require.Contains(t, browsertest.Text(t, sup.Ctx, `.session-head`), "监督人员只读")
	require.Zero(t, browsertest.Eval[int](t, sup.Ctx, `document.querySelectorAll('#verify, #export').length`))
	sup.Shot("archive-9-supervisor")

	// An evaluator and venue staff are refused, by the page and the API.
	for _, u := range []struct {
		name string
		c    *client
	}{{"expert-demo", d.expert}, {"staff-nj", d.staff}} {
		other := browserLogin(t, d.base, u.name)
		other.Do(20*time.Second, chromedp.Navigate(d.base+"/archive"), chromedp.WaitVisible(chromedp.CSS(`.denied`)))
		require.Contains(t, browsertest.Text(t, other.Ctx, `.denied`), "无权访问此页面")
		other.Shot("archive-10-denied-" + u.name)
		require.Equal(t, http.StatusForbidden, u.c.do("GET", "/api/archive/sessions", nil, nil))
		require.Equal(t, http.StatusForbidden, u.c.do("GET", "/api/sessions/"+itoa(d.sess.ID)+"/archive/timeline", nil, nil))
	}
}

// browserLogin starts a browser logged in as user through the API from
// the login page (whatever the user's home page is).
func browserLogin(t *testing.T, base, user string) *browsertest.Browser {
	t.Helper()
	b := browsertest.New(t)
	b.Do(30*time.Second, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#login`)))
	status := browsertest.Eval[int](t, b.Ctx, fmt.Sprintf(`fetch('/api/login', {method: 'POST', credentials: 'same-origin',
		headers: {'Content-Type': 'application/json', 'X-Requested-With': 'evalroom'},
		body: JSON.stringify({username: %q, password: %q})}).then((r) => r.status)`, user, demoPassword))
	require.Equal(t, http.StatusOK, status)
	return b
}

// waitTextIn waits until the element matching the CSS selector sel shows
// want: a page may render an element before its text.
func waitTextIn(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	browsertest.WaitFor(t, ctx, fmt.Sprintf(`(document.querySelector(%q)?.innerText || '').includes(%q)`, sel, want), 20*time.Second)
}

// downloadExport clicks 导出证据包 on the archive page in the tab ctx of b
// and returns the path of the downloaded file.
func downloadExport(t *testing.T, b *browsertest.Browser, ctx context.Context) string {
	t.Helper()
	dir := t.TempDir()
	events := true
	_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events})
	require.NoError(t, err)
	dctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(dctx, cdpbrowser.DownloadProgress)
	b.Do(10*time.Second, chromedp.Click(chromedp.CSS(`#export`)))
	for ev, err := range progress {
		require.NoError(t, err)
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			return filepath.Join(dir, ev.GUID)
		}
		require.NotEqual(t, cdpbrowser.DownloadProgressStateCanceled, ev.State)
	}
	t.Fatal("the export was not downloaded")
	return ""
}
