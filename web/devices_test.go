package web_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/token"
	"github.com/stretchr/testify/require"
)

func TestDeviceToken(t *testing.T) {
	f := newSessionFixture(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	_, otherPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	recorder := "/api/rooms/" + itoa(f.room1.ID) + "/recorder"
	f.staff1.fail(http.MethodPut, recorder, map[string]any{"recorder_id": "edge-nj-1", "public_key": pub}, http.StatusForbidden, "forbidden")
	f.admin.fail(http.MethodPut, recorder, map[string]any{"recorder_id": "edge-nj-1", "public_key": pub[:8]}, http.StatusUnprocessableEntity, "invalid")
	var r room.Room
	f.admin.call(http.MethodPut, recorder, map[string]any{"recorder_id": "edge-nj-1", "public_key": base64.StdEncoding.EncodeToString(pub)}, http.StatusOK, &r)
	require.Equal(t, "edge-nj-1", r.RecorderID)
	f.admin.fail(http.MethodPut, "/api/rooms/"+itoa(f.room2.ID)+"/recorder", map[string]any{"recorder_id": "edge-nj-1", "public_key": pub},
		http.StatusConflict, "conflict")

	device := f.e.anon(t)
	device.csrf = false // a recorder is no browser: no cookie, no CSRF header
	request := func(key ed25519.PrivateKey, id string, at time.Time) map[string]any {
		ts := at.UTC().Format(time.RFC3339Nano)
		return map[string]any{"recorder_id": id, "timestamp": ts, "signature": ed25519.Sign(key, room.DeviceMessage(id, ts))}
	}
	// No running session yet: a token to upload the archive, never to publish.
	var upload struct {
		mediaTokenBody
		Grants map[string]any `json:"grants"`
	}
	device.call(http.MethodPost, "/api/devices/token", request(priv, "edge-nj-1", f.e.clock.Now().Add(-time.Second)), http.StatusOK, &upload)
	claims, err := f.e.tokens.Verify(upload.Token)
	require.NoError(t, err)
	require.True(t, claims.UploadOnly())
	require.Equal(t, token.RoleDevice, claims.Role)
	require.Equal(t, token.Grants{}, claims.Grants, "no publish grant")
	require.Equal(t, "device:edge-nj-1", claims.Subject)
	require.Empty(t, claims.Session)
	require.Equal(t, itoa(f.room1.ID), claims.Room)
	require.Equal(t, "V1", claims.Venue)
	require.Empty(t, upload.SessionID)
	require.Equal(t, itoa(f.room1.ID), upload.RoomID)
	require.Empty(t, upload.Grants, "the answer shows no grant")
	require.Contains(t, f.auditActions(t, "room:"+itoa(f.room1.ID)), "media.token", "audited against the room")

	f.openSignin(t)
	cases := []struct {
		name    string
		body    map[string]any
		message string
	}{
		{"forged", request(otherPriv, "edge-nj-1", f.e.clock.Now()), "设备签名无效"},
		{"expired", request(priv, "edge-nj-1", f.e.clock.Now().Add(-6*time.Minute)), "时间戳与服务器时间相差超过5分钟"},
		{"unknown recorder", request(priv, "edge-zz-9", f.e.clock.Now()), "录像设备未登记"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := device.fail(http.MethodPost, "/api/devices/token", tc.body, http.StatusUnauthorized, "bad_signature")
			require.Contains(t, got.Error.Message, tc.message)
		})
	}
	device.fail(http.MethodPost, "/api/devices/token", `{"recorder_id":"edge-nj-1","timestamp":"x","signature":"!!"}`, http.StatusBadRequest, "bad_request")

	good := request(priv, "edge-nj-1", f.e.clock.Now())
	var tok mediaTokenBody
	device.call(http.MethodPost, "/api/devices/token", good, http.StatusOK, &tok)
	claims, err = f.e.tokens.Verify(tok.Token)
	require.NoError(t, err)
	require.False(t, claims.UploadOnly())
	require.Equal(t, token.RoleDevice, claims.Role)
	require.Equal(t, token.Grants{Publish: true}, claims.Grants)
	require.Equal(t, "device:edge-nj-1", claims.Subject)
	require.Equal(t, itoa(f.sess.ID), claims.Session)
	require.Equal(t, itoa(f.room1.ID), claims.Room)
	require.Equal(t, "V1", claims.Venue)
	require.Len(t, tok.ICEServers, 2)
	got := device.fail(http.MethodPost, "/api/devices/token", good, http.StatusUnauthorized, "bad_signature")
	require.Contains(t, got.Error.Message, "已使用", "a replayed request is refused")
	require.Contains(t, f.auditActions(t, "session:"+itoa(f.sess.ID)), "media.token")
}
