package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

func TestArchiveVerifySessionThroughTheConfiguration(t *testing.T) {
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
	pubHF, privHF, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	start := time.Now().UTC().Truncate(time.Second)
	sess, err := rooms.SeedDemo(ctx, "test", room.DemoOptions{StartsAt: start, EndsAt: start.Add(time.Hour), MainKey: pubNJ, RemoteKey: pubHF})
	require.NoError(t, err)

	// Both rooms' recorders upload two segments into the archive.
	dir := t.TempDir()
	store, err := archive.NewFS(dir)
	require.NoError(t, err)
	svc, err := archive.New(archive.Params{DB: db, Store: store, Keys: archivewire.RecorderKeys{Rooms: rooms}, Audit: audit.New(db)})
	require.NoError(t, err)
	var hashes []string
	for _, r := range sess.Rooms {
		priv := privNJ
		if r.RecorderID == room.DemoRemoteRecorder {
			priv = privHF
		}
		hashes = append(hashes, uploadTo(t, svc, r.RecorderID, r.ID, sess.ID, priv, start, 2)...)
	}

	env := []string{"EVALROOM_POSTGRES_DSN=" + dsn, "EVALROOM_ARCHIVE_DIR=" + dir}
	out, err := run(t, "", env, "archive", "verify", "-session", itoa(sess.ID))
	require.NoError(t, err, out)
	require.Contains(t, out, "chain edge-nj-1: seq 1–2, 2 segments")
	require.Contains(t, out, "全部通过：4 个片段")

	// A stored blob changes: the command names it and fails; the index
	// records it.
	h := hashes[3]
	p := filepath.Join(dir, h[0:2], h[2:4], h)
	require.NoError(t, os.Chmod(p, 0o640))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[0] ^= 1
	require.NoError(t, os.WriteFile(p, data, 0o640))
	out, err = run(t, "", env, "archive", "verify", "--session="+itoa(sess.ID))
	require.ErrorIs(t, err, errArchiveBroken, out)
	require.Contains(t, out, "第一个断裂环节 (first broken link): segment:"+h)
	g, err := svc.Segment(ctx, h)
	require.NoError(t, err)
	require.Equal(t, archive.StateBroken, g.State)
	entries, err := audit.New(db).List(ctx, audit.Filter{Action: "archive.verify", Actor: "cli:evalroomctl"})
	require.NoError(t, err)
	require.Len(t, entries, 2)

	_, err = run(t, "", env, "archive", "verify", "-session", "999")
	require.ErrorIs(t, err, room.ErrNotFound)
	_, err = run(t, "", env, "archive", "verify", "-session", itoa(sess.ID), dir)
	require.Error(t, err, "a session and a folder at once")
}

// uploadTo records n signed segments of 10 s as recorder and uploads
// them into svc; it returns their hashes.
func uploadTo(t *testing.T, svc *archive.Service, recorder string, roomID, sessionID int64, priv ed25519.PrivateKey, start time.Time, n int) []string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(t.TempDir(), "state"), Recorder: recorder, Key: priv, Dir: dir})
	require.NoError(t, err)
	var hashes []string
	for i := 0; i < n; i++ {
		name := recorder + "-" + itoa(int64(i+1)) + ".mp4"
		p := filepath.Join(dir, name)
		data := make([]byte, 2500+i)
		_, _ = rand.Read(data)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		at := start.Add(time.Duration(i) * 10 * time.Second)
		m, err := manifest.Build(p, manifest.Info{Recorder: recorder, Room: itoa(roomID), Session: itoa(sessionID), Start: at, End: at.Add(10 * time.Second),
			Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}})
		require.NoError(t, err)
		m, err = c.Append(m)
		require.NoError(t, err)
		h := m.SegmentHash.String()
		_, err = svc.PutSegment(ctx, recorder, h, bytes.NewReader(data))
		require.NoError(t, err)
		raw, err := os.ReadFile(filepath.Join(dir, manifest.ManifestName(name)))
		require.NoError(t, err)
		_, err = svc.AcceptManifest(ctx, recorder, raw)
		require.NoError(t, err)
		hashes = append(hashes, h)
	}
	return hashes
}
