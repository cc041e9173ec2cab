package room_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

func TestGrantDevice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	otherPub, otherPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s := e.session(t, "DEV")
	nj := s.Rooms[0]
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, nj.ID, "edge-nj-1", pub)
	require.NoError(t, err)
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, s.Rooms[1].ID, "edge-nj-1", otherPub)
	require.ErrorIs(t, err, room.ErrConflict, "a recorder id belongs to one room")
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, s.Rooms[1].ID, "edge-hf-1", pub)
	require.ErrorIs(t, err, room.ErrConflict, "a key belongs to one recorder")
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, s.Rooms[1].ID, "edge-hf-1", pub[:16])
	require.ErrorIs(t, err, room.ErrInvalid)
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, 999999, "edge-x", otherPub)
	require.ErrorIs(t, err, room.ErrNotFound)
	got, err := e.svc.RoomByRecorder(ctx, "edge-nj-1")
	require.NoError(t, err)
	require.Equal(t, nj.ID, got.ID)
	require.Equal(t, []byte(pub), []byte(got.RecorderKey))
	_, err = e.svc.RoomByRecorder(ctx, "edge-hf-1")
	require.ErrorIs(t, err, room.ErrNotFound, "never registered")

	sign := func(key ed25519.PrivateKey, id string, at time.Time) (string, []byte) {
		ts := at.Format(time.RFC3339Nano)
		return ts, ed25519.Sign(key, room.DeviceMessage(id, ts))
	}
	early, earlySig := sign(priv, "edge-nj-1", e.clock.Now().Add(-time.Second))
	g, err := e.svc.GrantDevice(ctx, "edge-nj-1", early, earlySig)
	require.NoError(t, err, "no running session yet: upload only")
	require.True(t, g.UploadOnly())
	require.Zero(t, g.Session.ID)
	require.Equal(t, nj.ID, g.Room.ID)
	require.Equal(t, "JS-NJ", g.Room.VenueCode)
	require.Equal(t, "edge-nj-1", g.RecorderID)
	require.Equal(t, []any{nil}, e.authDetails(t, nj.ID, "session_id"), "audited without a session")
	_, err = e.svc.GrantDevice(ctx, "edge-nj-1", early, earlySig)
	require.ErrorIs(t, err, room.ErrBadSignature, "an upload-only request is not replayable either")
	ts, sig := sign(priv, "edge-nj-1", e.clock.Now())

	e.move(t, s.ID, room.PhaseSignin)
	cases := []struct {
		name string
		id   string
		ts   string
		sig  []byte
		msg  string
	}{
		{"forged", "edge-nj-1", ts, func() []byte { _, s := sign(otherPriv, "edge-nj-1", e.clock.Now()); return s }(), "签名无效"},
		{"other recorder's message", "edge-nj-1", ts, func() []byte { _, s := sign(priv, "edge-hf-1", e.clock.Now()); return s }(), "签名无效"},
		{"truncated", "edge-nj-1", ts, sig[:10], "签名无效"},
		{"too old", "edge-nj-1", e.clock.Now().Add(-6 * time.Minute).Format(time.RFC3339), sig, "时间戳"},
		{"from the future", "edge-nj-1", e.clock.Now().Add(6 * time.Minute).Format(time.RFC3339), sig, "时间戳"},
		{"not a time", "edge-nj-1", "yesterday", sig, "RFC 3339"},
		{"unknown recorder", "edge-zz-9", ts, sig, "未登记"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.GrantDevice(ctx, tc.id, tc.ts, tc.sig)
			require.ErrorIs(t, err, room.ErrBadSignature)
			require.ErrorContains(t, err, tc.msg)
		})
	}

	g, err = e.svc.GrantDevice(ctx, "edge-nj-1", ts, sig)
	require.NoError(t, err, "the good request")
	require.False(t, g.UploadOnly())
	require.Equal(t, s.ID, g.Session.ID)
	require.Equal(t, nj.ID, g.Room.ID)
	require.Equal(t, "JS-NJ", g.Room.VenueCode)
	_, err = e.svc.GrantDevice(ctx, "edge-nj-1", ts, sig)
	require.ErrorIs(t, err, room.ErrBadSignature, "a replay is refused")
	require.ErrorContains(t, err, "已使用")
	ts2, sig2 := sign(priv, "edge-nj-1", e.clock.Now().Add(-4*time.Minute))
	_, err = e.svc.GrantDevice(ctx, "edge-nj-1", ts2, sig2)
	require.ErrorIs(t, err, room.ErrBadSignature, "older than the last accepted request")
	e.clock.Advance(5 * time.Minute)
	ts2, sig2 = sign(priv, "edge-nj-1", e.clock.Now().Add(-4*time.Minute))
	_, err = e.svc.GrantDevice(ctx, "edge-nj-1", ts2, sig2)
	require.NoError(t, err, "4 minutes of skew are tolerated")
	require.Contains(t, e.actions(t, "room:"+nj.IDString()), "device.authenticate")

	e.move(t, s.ID, room.PhaseEvaluating, room.PhaseFinished)
	ts, sig = sign(priv, "edge-nj-1", e.clock.Now())
	g, err = e.svc.GrantDevice(ctx, "edge-nj-1", ts, sig)
	require.NoError(t, err, "the session ended: upload only")
	require.True(t, g.UploadOnly())
	require.Equal(t, nj.ID, g.Room.ID)
	sid := float64(s.ID)
	require.Equal(t, []any{nil, sid, sid, nil}, e.authDetails(t, nj.ID, "session_id"))
}

// authDetails returns one detail member of every "device.authenticate"
// entry of a room, oldest first.
func (e *env) authDetails(t *testing.T, roomID int64, member string) []any {
	t.Helper()
	entries, err := e.audit.List(context.Background(), audit.Filter{Object: "room:" + strconv.FormatInt(roomID, 10)})
	require.NoError(t, err)
	var out []any
	for _, en := range entries {
		if en.Action != "device.authenticate" {
			continue
		}
		var d map[string]any
		require.NoError(t, json.Unmarshal(en.Detail, &d))
		out = append(out, d[member])
	}
	return out
}

func TestRecordMediaGrantWithoutSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "UPL")
	nj := s.Rooms[0]
	err := e.svc.RecordMediaGrant(ctx, 0, room.MediaGrantRecord{Actor: "device:edge-nj-1", Role: "device", RoomID: nj.IDString(), TokenID: "t1"})
	require.NoError(t, err)
	require.Contains(t, e.actions(t, "room:"+nj.IDString()), "media.token", "an upload-only token is audited against its room")
	err = e.svc.RecordMediaGrant(ctx, 0, room.MediaGrantRecord{Actor: "device:edge-nj-1", Role: "device", TokenID: "t2"})
	require.ErrorIs(t, err, room.ErrInvalid, "neither session nor room")
}

func TestRecordingStatus(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "REC")
	nj, hf := s.Rooms[0], s.Rooms[1]
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, nj.ID, "edge-nj-1", pub)
	require.NoError(t, err)

	rep, err := e.svc.RecordingStatus(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, rep.Rooms, 2)
	require.Empty(t, rep.Warnings, "no warnings before evaluation")

	e.move(t, s.ID, room.PhaseSignin, room.PhaseEvaluating)
	e.presence.set(s.IDString(), nj.IDString())
	rep, err = e.svc.RecordingStatus(ctx, s.ID)
	require.NoError(t, err)
	require.True(t, rep.Rooms[0].Live)
	require.False(t, rep.Rooms[1].Live)
	require.Equal(t, []string{hf.Name + "（AH-HF）未在录像：尚未登记录像设备"}, rep.Warnings)

	e.presence.set(s.IDString(), nj.IDString(), hf.IDString())
	rep, err = e.svc.RecordingStatus(ctx, s.ID)
	require.NoError(t, err)
	require.Empty(t, rep.Warnings)

	e.presence.set(s.IDString())
	e.move(t, s.ID, room.PhasePaused)
	rep, err = e.svc.RecordingStatus(ctx, s.ID)
	require.NoError(t, err)
	require.Empty(t, rep.Warnings, "paused: no warning")

	_, err = e.svc.RecordingStatus(ctx, 999999)
	require.ErrorIs(t, err, room.ErrNotFound)
	noPresence, err := room.New(room.Params{DB: e.db, Audit: e.audit, Committee: e.committee})
	require.NoError(t, err)
	_, err = noPresence.RecordingStatus(ctx, s.ID)
	require.ErrorIs(t, err, room.ErrUnavailable)
}

func TestSchemaRefusesWhatTheServiceWould(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "DB")
	e.move(t, s.ID, room.PhaseSignin)
	nj := s.Rooms[0]
	insert := `INSERT INTO room.signins (session_id, member_id, member_name, room_id, venue_code, room_seats, seat, id_suffix_len, checked_by, checked_at)
		VALUES ($1, $2, '某人', $3, $4, $5, $6, 4, 'user:1', now())`
	cases := []struct {
		name string
		sql  string
		args []any
	}{
		{"seat beyond the room", insert, []any{s.ID, 1, nj.ID, "JS-NJ", 5, 6}},
		{"seat count that is not the room's", insert, []any{s.ID, 1, nj.ID, "JS-NJ", 9, 6}},
		{"room of the wrong venue", insert, []any{s.ID, 1, nj.ID, "AH-HF", 5, 1}},
		{"unknown phase", `UPDATE room.sessions SET phase = 'later' WHERE id = $1`, []any{s.ID}},
		{"aborted without reason", `UPDATE room.sessions SET phase = 'aborted' WHERE id = $1`, []any{s.ID}},
		{"sealed while running", `UPDATE room.sessions SET sealed_at = now() WHERE id = $1`, []any{s.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.db.Exec(ctx, tc.sql, tc.args...)
			require.Error(t, err)
		})
	}
	_, err := e.db.Exec(ctx, insert, s.ID, 1, nj.ID, "JS-NJ", 5, 2)
	require.NoError(t, err)
	_, err = e.db.Exec(ctx, insert, s.ID, 2, nj.ID, "JS-NJ", 5, 2)
	require.ErrorContains(t, err, "signins_seat_taken")
	_, err = e.db.Exec(ctx, insert, s.ID, 1, nj.ID, "JS-NJ", 5, 3)
	require.ErrorContains(t, err, "signins_member_seated")
}

func TestSeedDemo(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	nj, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	hf, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := e.svc.SeedDemo(ctx, "system:demo", room.DemoOptions{DrawID: 3, MainKey: nj, RemoteKey: hf})
	require.NoError(t, err)
	require.Equal(t, "DEMO-1", s.Ref)
	require.Equal(t, "JS-NJ", s.MainVenue)
	require.Equal(t, []string{"AH-HF"}, s.RemoteVenues)
	require.Len(t, s.Rooms, 2)
	require.Equal(t, "第一评标室", s.Rooms[0].Name)
	require.Equal(t, 5, s.Rooms[0].Seats)
	require.Equal(t, "edge-nj-1", s.Rooms[0].RecorderID)
	require.Equal(t, []byte(nj), s.Rooms[0].RecorderKey)
	require.Equal(t, "第二评标室", s.Rooms[1].Name)
	require.Equal(t, 4, s.Rooms[1].Seats)
	require.Equal(t, "edge-hf-1", s.Rooms[1].RecorderID)
	again, err := e.svc.SeedDemo(ctx, "system:demo", room.DemoOptions{DrawID: 3, MainKey: nj, RemoteKey: hf})
	require.NoError(t, err)
	require.Equal(t, s.ID, again.ID)
}
