package room_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/room"
)

func newPub(t *testing.T) ed25519.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return pub
}

func TestRecorderKeyHistoryKeepsEveryKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "KEYS")
	nj, hf := s.Rooms[0], s.Rooms[1]
	a, b, c := newPub(t), newPub(t), newPub(t)

	_, err := e.svc.RecorderKeyHistory(ctx, "edge-nj-1")
	require.ErrorIs(t, err, room.ErrNotFound, "never registered")

	regA := e.clock.Now()
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, nj.ID, "edge-nj-1", a)
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, nj.ID, "edge-nj-1", a)
	require.NoError(t, err, "the same registration again")
	h, err := e.svc.RecorderKeyHistory(ctx, "edge-nj-1")
	require.NoError(t, err)
	require.Len(t, h, 1, "registering the same key again starts no new period")

	// The room PC is replaced: key B replaces key A, which is kept.
	regB := e.clock.Advance(time.Hour)
	got, err := e.svc.RegisterRecorder(ctx, "user:7", nj.ID, "edge-nj-1", b)
	require.NoError(t, err)
	require.Equal(t, []byte(b), got.RecorderKey, "the room holds the key in force")
	h, err = e.svc.RecorderKeyHistory(ctx, "edge-nj-1")
	require.NoError(t, err)
	require.Len(t, h, 2)
	require.Equal(t, []byte(a), h[0].PublicKey)
	require.True(t, h[0].RegisteredAt.Equal(regA))
	require.NotNil(t, h[0].RetiredAt)
	require.True(t, h[0].RetiredAt.Equal(regB))
	require.Equal(t, "user:7", h[0].RetiredBy)
	require.Equal(t, []byte(b), h[1].PublicKey)
	require.True(t, h[1].RegisteredAt.Equal(regB), "B is in force from the instant A retired")
	require.Nil(t, h[1].RetiredAt)
	require.Equal(t, nj.ID, h[1].RoomID)
	require.Equal(t, room.KeyFingerprint(b), h[1].Fingerprint)
	require.Regexp(t, `^SHA256:[0-9a-f]{64}$`, h[1].Fingerprint)

	// The audit entry names both keys' fingerprints.
	entries, err := e.audit.List(ctx, audit.Filter{Object: "room:" + nj.IDString()})
	require.NoError(t, err)
	last := entries[len(entries)-1]
	require.Equal(t, "room.register_recorder", last.Action)
	require.Equal(t, "user:7", last.Actor)
	var d map[string]any
	require.NoError(t, json.Unmarshal(last.Detail, &d))
	require.Equal(t, room.KeyFingerprint(b), d["fingerprint"])
	require.Equal(t, room.KeyFingerprint(a), d["replaced_fingerprint"])
	require.Equal(t, "edge-nj-1", d["replaced_recorder_id"])
	require.Equal(t, true, d["key_changed"])

	// A retired key stays the recorder's: no other recorder may take it.
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, hf.ID, "edge-hf-1", a)
	require.ErrorIs(t, err, room.ErrConflict)
	require.Contains(t, err.Error(), "曾登记给录像设备 edge-nj-1")
	_, err = e.svc.RoomByRecorder(ctx, "edge-hf-1")
	require.ErrorIs(t, err, room.ErrNotFound, "nothing registered")

	// Another recorder in the room retires edge-nj-1's key in force; its
	// history stays.
	e.clock.Advance(time.Hour)
	_, err = e.svc.RegisterRecorder(ctx, admin.ID, nj.ID, "edge-nj-2", c)
	require.NoError(t, err)
	h, err = e.svc.RecorderKeyHistory(ctx, "edge-nj-1")
	require.NoError(t, err)
	require.Len(t, h, 2)
	require.NotNil(t, h[1].RetiredAt, "edge-nj-1 no longer has a key in force")
	_, err = e.svc.RoomByRecorder(ctx, "edge-nj-1")
	require.ErrorIs(t, err, room.ErrNotFound)
	h2, err := e.svc.RecorderKeyHistory(ctx, "edge-nj-2")
	require.NoError(t, err)
	require.Len(t, h2, 1)

	// The database keeps the history whatever the application does.
	_, err = e.db.Exec(ctx, `DELETE FROM room.recorder_keys WHERE recorder_id = 'edge-nj-1'`)
	require.ErrorContains(t, err, "never deleted")
	_, err = e.db.Exec(ctx, `UPDATE room.recorder_keys SET retired_at = NULL, retired_by = NULL WHERE recorder_id = 'edge-nj-1'`)
	require.ErrorContains(t, err, "only a key in force may be retired")
	_, err = e.db.Exec(ctx, `UPDATE room.recorder_keys SET public_key = $1 WHERE recorder_id = 'edge-nj-2'`, []byte(a))
	require.Error(t, err)
	h, err = e.svc.RecorderKeyHistory(ctx, "edge-nj-1")
	require.NoError(t, err)
	require.Len(t, h, 2)
}

func TestRecorderKeyMigrationKeepsTheKeysRegisteredBefore(t *testing.T) {
	ctx := context.Background()
	db := testenv.Postgres(t)
	before := fstest.MapFS{}
	entries, err := fs.ReadDir(room.Migrations.FS, room.Migrations.Dir)
	require.NoError(t, err)
	for _, de := range entries {
		if de.Name() >= "0030" {
			continue
		}
		data, err := fs.ReadFile(room.Migrations.FS, room.Migrations.Dir+"/"+de.Name())
		require.NoError(t, err)
		before["m/"+de.Name()] = &fstest.MapFile{Data: data}
	}
	_, err = migrate.Apply(ctx, db, audit.Migrations, migrate.Set{Schema: "room", FS: before, Dir: "m"})
	require.NoError(t, err)
	pub := newPub(t)
	created := testStart.Add(-24 * time.Hour)
	_, err = db.Exec(ctx, `INSERT INTO room.rooms (venue_code, name, seats, recorder_id, recorder_key, created_at)
		VALUES ('JS-NJ', '第一评标室', 5, 'edge-old', $1, $2)`, []byte(pub), created)
	require.NoError(t, err)

	_, err = migrate.Apply(ctx, db, room.Migrations)
	require.NoError(t, err)
	svc, err := room.New(room.Params{DB: db, Audit: audit.New(db), Committee: newCommittee()})
	require.NoError(t, err)
	h, err := svc.RecorderKeyHistory(ctx, "edge-old")
	require.NoError(t, err)
	require.Len(t, h, 1)
	require.Equal(t, []byte(pub), h[0].PublicKey)
	require.True(t, h[0].RegisteredAt.Equal(created), "in force since its room was created")
	require.Nil(t, h[0].RetiredAt)
}
