package web_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
)

// fieldErr is an error body with the field it is about.
type fieldErr struct {
	Error struct{ Code, Message, Field string } `json:"error"`
}

// TestAdminFormsNameTheField: every form of the administration page gets
// its refusal beside the field at fault, and nothing is saved.
func TestAdminFormsNameTheField(t *testing.T) {
	e := newSessionEnv(t)
	adm, _ := e.loginAt(t, "root", auth.RoleAdmin, "")
	start := e.clock.Now().Add(48 * time.Hour)
	session := map[string]any{"ref": "S-FIELDS", "project_code": "P-1", "project_name": "某工程",
		"starts_at": start, "ends_at": start.Add(3 * time.Hour), "main_venue": "V1", "remote_venues": []string{"V2"}}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{}
		for key, val := range m {
			out[key] = val
		}
		out[k] = v
		return out
	}
	var sess room.Session
	adm.call(http.MethodPost, "/api/sessions", session, http.StatusCreated, &sess)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var rm room.Room
	adm.call(http.MethodPost, "/api/sessions/"+itoa(sess.ID)+"/rooms", map[string]any{"venue_code": "V1", "name": "一号评标室", "seats": 5},
		http.StatusCreated, &rm)
	goodUser := map[string]any{"username": "li", "display_name": "李四", "password": "12345678", "role": "staff", "venue_code": "V1"}

	cases := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"user without a name", http.MethodPost, "/api/users", with(goodUser, "display_name", " "), 422, "display_name"},
		{"user with a short password", http.MethodPost, "/api/users", with(goodUser, "password", "1234"), 422, "password"},
		{"user with a bad username", http.MethodPost, "/api/users", with(goodUser, "username", "李 四"), 422, "username"},
		{"staff without a venue", http.MethodPost, "/api/users", with(goodUser, "venue_code", ""), 422, "venue_code"},
		{"evaluator without a session", http.MethodPost, "/api/users", with(goodUser, "role", "evaluator"), 422, "session_ref"},
		{"taken username", http.MethodPost, "/api/users", with(goodUser, "username", "root"), 409, "username"},
		{"short password reset", http.MethodPost, "/api/users/1/password", map[string]string{"password": "short"}, 422, "password"},
		{"session with a bad ref", http.MethodPost, "/api/sessions", with(session, "ref", "两个 字"), 422, "ref"},
		{"taken session ref", http.MethodPost, "/api/sessions", session, 409, "ref"},
		{"session without a project name", http.MethodPost, "/api/sessions", with(with(session, "ref", "S-2"), "project_name", ""), 422, "project_name"},
		{"session ending before it starts", http.MethodPost, "/api/sessions", with(with(session, "ref", "S-2"), "ends_at", start.Add(-time.Hour)), 422, "ends_at"},
		{"session repeating a venue", http.MethodPost, "/api/sessions", with(with(session, "ref", "S-2"), "remote_venues", []string{"V1"}), 422, "remote_venues"},
		{"room without seats", http.MethodPost, "/api/sessions/" + itoa(sess.ID) + "/rooms", map[string]any{"venue_code": "V2", "name": "二号", "seats": 0}, 422, "seats"},
		{"room of another venue", http.MethodPost, "/api/sessions/" + itoa(sess.ID) + "/rooms", map[string]any{"venue_code": "V9", "name": "二号", "seats": 3}, 422, "venue_code"},
		{"recorder key not base64", http.MethodPut, "/api/rooms/" + itoa(rm.ID) + "/recorder", map[string]any{"recorder_id": "edge-1", "public_key": "不是密钥"}, 422, "public_key"},
		{"recorder key too short", http.MethodPut, "/api/rooms/" + itoa(rm.ID) + "/recorder", map[string]any{"recorder_id": "edge-1", "public_key": base64.StdEncoding.EncodeToString(pub[:8])}, 422, "public_key"},
		{"recorder id with spaces", http.MethodPut, "/api/rooms/" + itoa(rm.ID) + "/recorder", map[string]any{"recorder_id": "edge 1", "public_key": base64.StdEncoding.EncodeToString(pub)}, 422, "recorder_id"},
		{"score sheet without criteria", http.MethodPut, "/api/sessions/" + itoa(sess.ID) + "/scoresheet", map[string]any{"bidders": []map[string]string{{"code": "B1", "name": "甲公司"}}, "criteria": []any{}}, 422, "criteria"},
		{"criterion with max under min", http.MethodPut, "/api/sessions/" + itoa(sess.ID) + "/scoresheet", map[string]any{"bidders": []map[string]string{{"code": "B1", "name": "甲公司"}},
			"criteria": []map[string]any{{"code": "C1", "name": "技术", "min": 10, "max": 5}}}, 422, "criteria"},
		{"expert with a bad mobile", http.MethodPost, "/api/experts", map[string]any{"name": "王建国", "id_number": "320102197503120034", "mobile": "123",
			"region": "320102", "specialties": []string{"A0101"}}, 422, "mobile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var fe fieldErr
			adm.call(tc.method, tc.path, tc.body, tc.status, &fe)
			require.Equal(t, tc.field, fe.Error.Field, fe.Error.Message)
			require.NotEmpty(t, fe.Error.Message)
		})
	}

	var users []auth.User
	var list struct{ Users []auth.User }
	adm.call(http.MethodGet, "/api/users", nil, http.StatusOK, &list)
	users = list.Users
	require.Len(t, users, 1, "no user was created")
	var sessions struct{ Items []room.Session }
	adm.call(http.MethodGet, "/api/sessions", nil, http.StatusOK, &sessions)
	require.Len(t, sessions.Items, 1, "no session was created")
	require.Len(t, sessions.Items[0].Rooms, 1, "no room was added")
	require.Empty(t, sessions.Items[0].Rooms[0].RecorderID, "no recorder was registered")
}
