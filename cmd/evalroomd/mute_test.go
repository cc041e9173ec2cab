package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
)

// TestMuteHoldsAcrossNodes runs two evalroomd nodes: the session's media
// is hosted on node A, the Nanjing staff mute their room through node B,
// and the Hefei room's screen (joined through node B, redirected to A)
// stops hearing Nanjing while the Nanjing evaluator still hears it; the
// video goes on; unmuting brings the sound back. Another venue's staff
// are refused in Chinese, and every change is in the audit log.
func TestMuteHoldsAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := context.Background()
	cfgA := testConfig(t)
	cfgA.HTTP.Addr = freeAddr(t)
	cfgA.HTTP.PublicURL = "http://" + cfgA.HTTP.Addr
	cfgA.Cluster.NodeID = "node-a"
	cfgB := cfgA
	cfgB.HTTP.Addr = freeAddr(t)
	cfgB.HTTP.PublicURL = "http://" + cfgB.HTTP.Addr
	cfgB.Cluster.NodeID = "node-b"
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := NewMain(cfgA, quiet), NewMain(cfgB, quiet)
	require.NoError(t, a.Run(ctx))
	defer a.Close(ctx)
	require.NoError(t, b.Run(ctx))
	defer b.Close(ctx)
	baseA, baseB := "http://"+a.Addr, "http://"+b.Addr

	staffNJ, staffHF, expert, admin := login(t, baseB, "staff-nj"), login(t, baseB, "staff-hf"), login(t, baseA, "expert-demo"), login(t, baseA, "admin")
	sess := demoSession(t, staffNJ)
	path := "/api/sessions/" + itoa(sess.ID)
	roomOf := map[string]int64{}
	for _, r := range sess.Rooms {
		roomOf[r.VenueCode] = r.ID
	}
	nj, hf := roomOf[room.DemoMainVenue], roomOf[room.DemoRemoteVenue]
	require.Equal(t, http.StatusOK, staffNJ.do("POST", path+"/phase", map[string]string{"phase": "signin"}, nil))

	// The Nanjing recorder publishes through node A, which hosts the session.
	status, devToken := deviceToken(t, baseA, cfgA.Secrets.MasterKey, room.DemoMainRecorder)
	require.Equal(t, http.StatusOK, status)
	jctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	pub, err := sfuclient.Join(jctx, "ws://"+a.Addr+"/media/ws", devToken, sfuclient.Options{})
	require.NoError(t, err)
	defer pub.Close()
	startCamera(t, pub, room.DemoMainRecorder)

	mediaToken := func(c *client, body map[string]any) string {
		var out struct {
			Token string `json:"token"`
		}
		require.Equal(t, http.StatusOK, c.do("POST", path+"/media-token", body, &out))
		return out.Token
	}
	join := func(base, tok string) *receiver {
		r := newReceiver()
		cl, err := sfuclient.Join(jctx, "ws://"+base+"/media/ws", tok, sfuclient.Options{OnTrack: r.onTrack})
		require.NoError(t, err)
		t.Cleanup(func() { _ = cl.Close() })
		return r
	}
	// The Hefei room's screen joins through node B and is sent to node A.
	screen := join(b.Addr, mediaToken(staffHF, map[string]any{"room_id": hf, "display": true}))
	own := join(a.Addr, mediaToken(expert, map[string]any{"room_id": nj, "publish": false}))
	waitFor(t, "media in both rooms", func() bool { return screen.has(pub.ID(), 30) && own.has(pub.ID(), 30) })
	require.Empty(t, b.sfu.Participants(itoa(sess.ID)), "node B hosts nothing")

	counts := func(r *receiver) (video, audio int) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.video[pub.ID()], r.audio[pub.ID()]
	}
	// quietWhile waits until the own room got n more audio packets and
	// tells how many audio and video packets the screen got meanwhile.
	quietWhile := func(n int) (video, audio int) {
		v0, a0 := counts(screen)
		_, own0 := counts(own)
		waitFor(t, "the own room hears Nanjing", func() bool { _, got := counts(own); return got >= own0+n })
		v1, a1 := counts(screen)
		return v1 - v0, a1 - a0
	}

	// Refusals change nothing.
	var e struct {
		Error struct {
			Code, Message, Field string
		} `json:"error"`
	}
	require.Equal(t, http.StatusForbidden, staffHF.do("POST", path+"/rooms/"+itoa(nj)+"/mute", map[string]bool{"muted": true}, &e))
	require.Equal(t, "只能为本场地的评标室静音或取消静音", e.Error.Message)
	require.Equal(t, http.StatusUnprocessableEntity, staffNJ.do("POST", path+"/rooms/"+itoa(nj)+"/mute", map[string]any{}, &e))
	require.Equal(t, "muted", e.Error.Field)
	require.Equal(t, http.StatusNotFound, staffNJ.do("POST", path+"/rooms/999999/mute", map[string]bool{"muted": true}, &e))
	_, heard := quietWhile(25)
	require.Positive(t, heard, "a refused mute silenced the room")

	// Muted through node B: node A stops sending Nanjing's sound to Hefei.
	var state struct {
		RoomID int64 `json:"room_id"`
		Muted  bool  `json:"muted"`
	}
	require.Equal(t, http.StatusOK, staffNJ.do("POST", path+"/rooms/"+itoa(nj)+"/mute", map[string]bool{"muted": true}, &state))
	require.True(t, state.Muted)
	var mutes struct {
		Items []struct {
			RoomID int64 `json:"room_id"`
			Muted  bool  `json:"muted"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, staffHF.do("GET", path+"/mutes", nil, &mutes))
	require.Len(t, mutes.Items, 2)
	for _, m := range mutes.Items {
		require.Equal(t, m.RoomID == nj, m.Muted, "room %d", m.RoomID)
	}
	waitFor(t, "the Hefei screen to stop hearing Nanjing", func() bool { _, a := quietWhile(10); return a == 0 })
	video, audio := quietWhile(50)
	require.Zero(t, audio, "Hefei still hears the muted Nanjing room")
	require.Positive(t, video, "muting must keep the video")

	// Unmuted: the sound comes back.
	require.Equal(t, http.StatusOK, staffNJ.do("POST", path+"/rooms/"+itoa(nj)+"/mute", map[string]bool{"muted": false}, &state))
	require.False(t, state.Muted)
	waitFor(t, "the Hefei screen to hear Nanjing again", func() bool { _, a := quietWhile(10); return a > 0 })

	var audit struct {
		Entries []struct {
			Actor, Action, Object string
		} `json:"entries"`
	}
	require.Equal(t, http.StatusOK, admin.do("GET", "/api/audit?action=media.mute&object=session:"+itoa(sess.ID), nil, &audit))
	require.Len(t, audit.Entries, 2, "each change is audited, the refusals are not")
}
