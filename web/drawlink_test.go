package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
)

// TestDrawForAnExistingSessionIsLinked: a session created first is staffed
// by the draw made for its reference afterwards; a draw whose venues do
// not fit the session, or a second draw, is refused and nothing is drawn.
func TestDrawForAnExistingSessionIsLinked(t *testing.T) {
	e := newSessionEnv(t)
	admin, _ := e.loginAt(t, "root", auth.RoleAdmin, "")
	req := drawSetup(t, e.env, admin, 7)
	start := req["starts_at"].(time.Time)
	var sess room.Session
	admin.call(http.MethodPost, "/api/sessions", map[string]any{"ref": "S1", "project_code": "NJ-1", "project_name": "某工程施工",
		"starts_at": start, "ends_at": start.Add(3 * time.Hour), "main_venue": "V1", "remote_venues": []string{"V2"}}, http.StatusCreated, &sess)
	require.Zero(t, sess.DrawID)

	drawsBefore := countDraws(t, e)
	wrong := map[string]any{}
	for k, v := range req {
		wrong[k] = v
	}
	venues := req["venues"].([]map[string]any)
	wrong["venues"] = venues[:1] // the remote venue is missing
	got := admin.fail(http.MethodPost, "/api/draws", wrong, http.StatusUnprocessableEntity, "invalid")
	require.Equal(t, "venues", got.Error.Field)
	require.Contains(t, got.Error.Message, "抽取的场地须与评标会话 S1 一致")
	require.Equal(t, drawsBefore, countDraws(t, e), "nothing drawn")

	var res expertpool.DrawResult
	admin.call(http.MethodPost, "/api/draws", req, http.StatusCreated, &res)
	admin.call(http.MethodGet, "/api/sessions/"+itoa(sess.ID), nil, http.StatusOK, &sess)
	require.Equal(t, res.DrawID, sess.DrawID, "the session is staffed by its draw")

	got = admin.fail(http.MethodPost, "/api/draws", req, http.StatusUnprocessableEntity, "invalid")
	require.Equal(t, "session_ref", got.Error.Field)
	require.Contains(t, got.Error.Message, "已有抽取")
	require.Equal(t, drawsBefore+1, countDraws(t, e))
}

func countDraws(t *testing.T, e *sessionEnv) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.QueryRow(context.Background(), "SELECT count(*) FROM expertpool.draws").Scan(&n))
	return n
}
