package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/room/token"
	"github.com/stretchr/testify/require"
)

// mediaTokenBody is the answer of the token routes.
type mediaTokenBody struct {
	Token      string `json:"token"`
	SessionID  string `json:"session_id"`
	RoomID     string `json:"room_id"`
	WSURL      string `json:"ws_url"`
	WHIPURL    string `json:"whip_url"`
	WHEPURL    string `json:"whep_url"`
	ICEServers []struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username"`
		Credential string   `json:"credential"`
	} `json:"ice_servers"`
}

func TestMediaTokenRoles(t *testing.T) {
	f := newSessionFixture(t)
	f.openSignin(t)
	yes, no := true, false
	r1, r2 := f.room1.ID, f.room2.ID
	cases := []struct {
		name    string
		c       *client
		roomID  int64
		publish *bool
		display bool
		status  int
		role    token.Role
		grants  token.Grants
		venue   string
		message string
	}{
		{"evaluator of the session", f.evaluator, r1, nil, false, http.StatusOK, token.RoleEvaluator, token.Grants{Publish: true, Subscribe: true}, "V1", ""},
		{"evaluator watching only", f.evaluator, 0, &no, false, http.StatusOK, token.RoleEvaluator, token.Grants{Subscribe: true}, "", ""},
		{"evaluator of another session", f.stranger, 0, nil, false, http.StatusForbidden, "", token.Grants{}, "", ""},
		{"staff of the venue", f.staff1, r1, nil, false, http.StatusOK, token.RoleStaff, token.Grants{Subscribe: true, Admin: true}, "V1", ""},
		{"staff, whole session", f.staff2, 0, nil, false, http.StatusOK, token.RoleStaff, token.Grants{Subscribe: true, Admin: true}, "V2", ""},
		{"staff into another venue's room", f.staff1, r2, nil, false, http.StatusForbidden, "", token.Grants{}, "", "只能进入本场地的评标室"},
		{"staff publishing", f.staff1, r1, &yes, false, http.StatusForbidden, "", token.Grants{}, "", "不能推流"},
		{"staff of a venue not in the session", f.staff3, 0, nil, false, http.StatusForbidden, "", token.Grants{}, "", ""},
		{"supervisor", f.supervisor, r2, nil, false, http.StatusOK, token.RoleSupervisor, token.Grants{Subscribe: true, Hidden: true}, "V2", ""},
		{"supervisor publishing", f.supervisor, r2, &yes, false, http.StatusForbidden, "", token.Grants{}, "", "监督人员只能隐身观看，不能推流"},
		{"admin publishing", f.admin, r1, &yes, false, http.StatusOK, token.RoleAdmin, token.Grants{Publish: true, Subscribe: true, Admin: true}, "V1", ""},
		{"archivist", f.archivist, 0, nil, false, http.StatusForbidden, "", token.Grants{}, "", "档案管理员"},
		{"room display", f.staff1, r1, nil, true, http.StatusOK, token.RoleDisplay, token.Grants{Subscribe: true}, "V1", ""},
		{"display of another venue's room", f.staff1, r2, nil, true, http.StatusForbidden, "", token.Grants{}, "", "本场地的评标室大屏"},
		{"display without a room", f.staff1, 0, nil, true, http.StatusUnprocessableEntity, "", token.Grants{}, "", "必须指定评标室"},
		{"display that publishes", f.admin, r1, &yes, true, http.StatusForbidden, "", token.Grants{}, "", "只能观看"},
		{"display asked by a supervisor", f.supervisor, r1, nil, true, http.StatusForbidden, "", token.Grants{}, "", "只有工作人员"},
		{"room of no session", f.admin, 999999, nil, false, http.StatusUnprocessableEntity, "", token.Grants{}, "", "评标室不属于本场评标"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{}
			if tc.roomID != 0 {
				body["room_id"] = tc.roomID
			}
			if tc.publish != nil {
				body["publish"] = *tc.publish
			}
			if tc.display {
				body["display"] = true
			}
			status, raw, _ := tc.c.raw(http.MethodPost, f.path+"/media-token", body)
			require.Equal(t, tc.status, status, string(raw))
			if tc.status != http.StatusOK {
				var e apiErr
				require.NoError(t, json.Unmarshal(raw, &e))
				require.Contains(t, e.Error.Message, tc.message)
				return
			}
			var got mediaTokenBody
			require.NoError(t, json.Unmarshal(raw, &got))
			claims, err := f.e.tokens.Verify(got.Token)
			require.NoError(t, err)
			require.Equal(t, tc.role, claims.Role)
			require.Equal(t, tc.grants, claims.Grants)
			require.Equal(t, tc.venue, claims.Venue)
			require.Equal(t, itoa(f.sess.ID), claims.Session)
			if tc.roomID != 0 {
				require.Equal(t, itoa(tc.roomID), claims.Room)
			} else {
				require.Empty(t, claims.Room)
			}
			require.Equal(t, "/media/ws", got.WSURL)
			require.Equal(t, "/media/whip", got.WHIPURL)
			require.Equal(t, "/media/whep", got.WHEPURL)
			require.Len(t, got.ICEServers, 2)
			require.Equal(t, "turn:turn.example.org:3478", got.ICEServers[1].URLs[0])
		})
	}

	// Every mint is audited with its grants.
	entries, err := f.e.audit.List(context.Background(), audit.Filter{Object: "session:" + itoa(f.sess.ID), Action: "media.token"})
	require.NoError(t, err)
	require.Len(t, entries, 7)
	var hidden map[string]any
	for _, en := range entries {
		var d map[string]any
		require.NoError(t, json.Unmarshal(en.Detail, &d))
		if d["role"] == "supervisor" {
			hidden = d
		}
	}
	require.NotNil(t, hidden)
	require.Equal(t, true, hidden["hidden"])
	require.Equal(t, false, hidden["publish"])
	require.Equal(t, itoa(r2), hidden["room_id"])

	// An ended session gets no tokens.
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "aborted", "reason": "招标人撤回"}, http.StatusOK, nil)
	f.admin.fail(http.MethodPost, f.path+"/media-token", nil, http.StatusConflict, "phase")
}

func TestMediaMountedUnderMedia(t *testing.T) {
	e := newSessionEnv(t)
	c := e.anon(t)
	c.csrf = false
	for _, tc := range []struct{ method, path, seen string }{
		{http.MethodGet, "/media/ws", "GET /ws "},
		{http.MethodPost, "/media/whip", "POST /whip Bearer abc"},
		{http.MethodPatch, "/media/whip/p1", "PATCH /whip/p1 Bearer abc"},
		{http.MethodDelete, "/media/whep/p2", "DELETE /whep/p2 Bearer abc"},
		{http.MethodPost, "/media/whep", "POST /whep Bearer abc"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var hdr []string
			if tc.method != http.MethodGet {
				hdr = []string{"Authorization", "Bearer abc", "Content-Type", "application/sdp"}
			}
			status, body, _ := c.raw(tc.method, tc.path, nil, hdr...)
			require.Equal(t, http.StatusTeapot, status, "reached the SFU without login or CSRF header: %s", body)
			e.media.mu.Lock()
			defer e.media.mu.Unlock()
			require.Equal(t, tc.seen, e.media.seen[len(e.media.seen)-1])
		})
	}
	// Without an SFU the paths answer 503.
	plain := newEnv(t)
	status, body, _ := plain.anon(t).raw(http.MethodGet, "/media/ws", nil)
	require.Equal(t, http.StatusServiceUnavailable, status, string(body))
	require.Contains(t, string(body), "媒体服务未启用")
}
