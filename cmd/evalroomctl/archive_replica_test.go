package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
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

// TestArchiveReplicateAndCheckThroughTheConfiguration: an archive that
// had no replica gets one; the check lists every copy missing, the
// catch-up copies them, an altered replica byte is named by both and
// never overwritten.
func TestArchiveReplicateAndCheckThroughTheConfiguration(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	db, err := infra.OpenPostgres(ctx, configPostgres(dsn))
	require.NoError(t, err)
	defer db.Close()
	_, err = infra.Migrate(ctx, db)
	require.NoError(t, err)
	rooms, err := room.New(room.Params{DB: db, Audit: audit.New(db), Committee: noCommittee{}})
	require.NoError(t, err)
	pubNJ, privNJ, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pubHF, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	start := time.Now().UTC().Truncate(time.Second)
	sess, err := rooms.SeedDemo(ctx, "test", room.DemoOptions{StartsAt: start, EndsAt: start.Add(time.Hour), MainKey: pubNJ, RemoteKey: pubHF})
	require.NoError(t, err)
	dir := t.TempDir()
	store, err := archive.NewFS(dir)
	require.NoError(t, err)
	svc, err := archive.New(archive.Params{DB: db, Store: store, Keys: archivewire.RecorderKeys{Rooms: rooms}, Audit: audit.New(db)})
	require.NoError(t, err)
	nj := sess.Rooms[0]
	if nj.RecorderID != room.DemoMainRecorder {
		nj = sess.Rooms[1]
	}
	hashes := uploadTo(t, svc, nj.RecorderID, nj.ID, sess.ID, privNJ, start, 3)

	replicaDir := t.TempDir()
	env := []string{"EVALROOM_POSTGRES_DSN=" + dsn, "EVALROOM_ARCHIVE_DIR=" + dir}
	_, err = run(t, "", env, "archive", "replicate")
	require.ErrorContains(t, err, "未配置档案副本")
	env = append(env, "EVALROOM_ARCHIVE_REPLICA_STORE=fs", "EVALROOM_ARCHIVE_REPLICA_DIR="+replicaDir)

	out, err := run(t, "", env, "archive", "replicas", "check")
	require.ErrorIs(t, err, errReplicaIncomplete, out)
	require.Contains(t, out, "MISSING   片段缺失 segment "+hashes[0]+"  edge-nj-1 #1 session "+itoa(sess.ID))
	require.Contains(t, out, "副本不完整：缺失 6，被改动 0，复制失败 0")

	out, err = run(t, "", env, "archive", "replicate")
	require.NoError(t, err, out)
	require.Contains(t, out, "片段 3 个，副本完好 3 个，本次复制 3 个")
	require.Contains(t, out, "副本完整：3 个片段及其清单均在副本中")
	require.Contains(t, out, "pending 0, failed 0, done 3")
	out, err = run(t, "", env, "archive", "replicas", "check", "-json")
	require.NoError(t, err, out)
	var rep struct {
		Report archive.ReplicaReport `json:"report"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, 3, rep.Report.OK)
	require.True(t, rep.Report.Clean())

	// One replica byte changes.
	p := filepath.Join(replicaDir, hashes[1][0:2], hashes[1][2:4], hashes[1])
	require.NoError(t, os.Chmod(p, 0o640))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[7] ^= 0x80
	require.NoError(t, os.WriteFile(p, data, 0o640))
	out, err = run(t, "", env, "archive", "replicas", "check")
	require.ErrorIs(t, err, errReplicaIncomplete, out)
	require.Contains(t, out, "DIFFERS   片段被改动 segment "+hashes[1]+"  edge-nj-1 #2")
	out, err = run(t, "", env, "archive", "replicate")
	require.ErrorIs(t, err, errReplicaIncomplete, out)
	require.Contains(t, out, "DIFFERS   片段被改动 segment "+hashes[1])
	require.Contains(t, out, "被改动的副本不会被覆盖")
	after, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, data, after, "the altered copy stays for investigation")

	// A replica in the primary's own folder is refused.
	_, err = run(t, "", append(env, "EVALROOM_ARCHIVE_REPLICA_DIR="+dir), "archive", "replicas", "check")
	require.ErrorIs(t, err, archive.ErrInvalid)
}

func TestConfigGetPrintsOneSetting(t *testing.T) {
	env := []string{"EVALROOM_POSTGRES_DSN=host=db dbname=evalroom", "EVALROOM_SECRETS_MASTER_KEY=abc"}
	out, err := run(t, "", env, "config", "get", "postgres.dsn")
	require.NoError(t, err)
	require.Equal(t, "host=db dbname=evalroom\n", out)
	out, err = run(t, "", env, "config", "get", "-archive.dir", "/srv/a", "archive.dir")
	require.NoError(t, err)
	require.Equal(t, "/srv/a\n", out)
	_, err = run(t, "", env, "config", "get", "secrets.master_key")
	require.ErrorContains(t, err, "secret")
	_, err = run(t, "", env, "config", "get", "postgres.nope")
	require.Error(t, err)
	_, err = run(t, "", env, "config", "get")
	require.ErrorIs(t, err, errUsage)
}
