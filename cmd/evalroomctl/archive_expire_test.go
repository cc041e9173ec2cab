package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
)

// TestArchiveExpireThroughTheConfiguration records a session sixteen
// years ago (the room service's clock stands then), holds its Hefei
// room's recordings, and runs `archive expire`: the dry run lists the
// Nanjing room's segments and deletes nothing; the run deletes them,
// audited as cli:evalroomctl, and keeps Hefei's; a retention below 15
// years is refused naming the setting.
func TestArchiveExpireThroughTheConfiguration(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	db, err := infra.OpenPostgres(ctx, configPostgres(dsn))
	require.NoError(t, err)
	defer db.Close()
	_, err = infra.Migrate(ctx, db)
	require.NoError(t, err)
	then := time.Now().AddDate(-16, 0, 0).UTC().Truncate(time.Second)
	clock := testenv.NewClock(then)
	rooms, err := room.New(room.Params{DB: db, Audit: audit.New(db), Committee: noCommittee{}, Now: clock.Now})
	require.NoError(t, err)
	pubNJ, privNJ, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pubHF, privHF, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sess, err := rooms.SeedDemo(ctx, "test", room.DemoOptions{StartsAt: then, EndsAt: then.Add(time.Hour), MainKey: pubNJ, RemoteKey: pubHF})
	require.NoError(t, err)
	dir := t.TempDir()
	store, err := archive.NewFS(dir)
	require.NoError(t, err)
	svc, err := archive.New(archive.Params{DB: db, Store: store, Keys: archivewire.RecorderKeys{Rooms: rooms}, Audit: audit.New(db)})
	require.NoError(t, err)
	hashes := map[string][]string{}
	var hefei int64
	for _, r := range sess.Rooms {
		priv := privNJ
		if r.RecorderID == room.DemoRemoteRecorder {
			priv, hefei = privHF, r.ID
		}
		hashes[r.RecorderID] = uploadTo(t, svc, r.RecorderID, r.ID, sess.ID, priv, then, 2)
	}
	clock.Advance(2 * time.Hour)
	_, err = rooms.ChangePhase(ctx, room.Actor{ID: "test"}, sess.ID, room.PhaseChange{To: room.PhaseAborted, Reason: "测试"})
	require.NoError(t, err)
	_, err = svc.PlaceHold(ctx, "user:1", sess.ID, archive.HoldInput{Room: hefei, Reason: "证据保全"})
	require.NoError(t, err)

	env := []string{"EVALROOM_POSTGRES_DSN=" + dsn, "EVALROOM_ARCHIVE_DIR=" + dir}
	blob := func(h string) string { return filepath.Join(dir, h[0:2], h[2:4], h) }
	out, err := run(t, "", env, "archive", "expire", "-dry-run")
	require.NoError(t, err, out)
	require.Contains(t, out, "试运行")
	for _, h := range hashes[room.DemoMainRecorder] {
		require.Contains(t, out, "WOULD DELETE "+h)
		require.FileExists(t, blob(h))
	}
	require.Contains(t, out, "将删除 2 个片段")
	require.Contains(t, out, "法律保全保留 2 个")

	out, err = run(t, "", env, "archive", "expire")
	require.NoError(t, err, out)
	for _, h := range hashes[room.DemoMainRecorder] {
		require.Contains(t, out, "DELETED "+h)
		_, err := os.Stat(blob(h))
		require.ErrorIs(t, err, os.ErrNotExist)
		g, err := svc.Segment(ctx, h)
		require.NoError(t, err)
		require.Equal(t, "cli:evalroomctl", g.Tombstone.DeletedBy)
	}
	for _, h := range hashes[room.DemoRemoteRecorder] {
		require.FileExists(t, blob(h), "held")
	}
	entries, err := audit.New(db).List(ctx, audit.Filter{Action: "archive.expire", Actor: "cli:evalroomctl"})
	require.NoError(t, err)
	require.Len(t, entries, 2)

	_, err = run(t, "", append(env, "EVALROOM_ARCHIVE_RETENTION_YEARS=14"), "archive", "expire", "-dry-run")
	require.ErrorContains(t, err, "archive.retention_years 14")
	_, err = run(t, "", env, "archive", "expire", "now")
	require.Error(t, err, "no arguments")
}
