package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/room"
)

// TestArchiveUploadAndScorePlayback runs the evidence path through a real
// evalroomd: the Nanjing recorder uploads a signed segment with its device
// token, a forged one is refused, the evaluator scores, and the scoring
// record leads to the uploaded segment at the right offset (Hefei, which
// uploaded nothing, is reported missing).
func TestArchiveUploadAndScorePlayback(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfg := testConfig(t)
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	base := "http://" + m.Addr
	admin, staff, expert, sup := login(t, base, "admin"), login(t, base, "staff-nj"), login(t, base, "expert-demo"), login(t, base, "supervisor")
	sess := demoSession(t, staff)
	path := "/api/sessions/" + itoa(sess.ID)
	sheet := room.ScoreSheet{Bidders: []room.Bidder{{Code: "B1", Name: "投标人甲"}}, Criteria: []room.Criterion{{Code: "C1", Name: "技术方案", Min: 0, Max: 30}}}
	require.Equal(t, http.StatusOK, admin.do("PUT", path+"/scoresheet", sheet, nil))
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/phase", map[string]string{"phase": "signin"}, nil))
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/phase", map[string]string{"phase": "evaluating"}, nil))

	// The Nanjing recorder's token and one signed segment covering now.
	keys, err := seal.ParseKey(cfg.Secrets.MasterKey)
	require.NoError(t, err)
	priv := DemoRecorderKey(keys, room.DemoMainRecorder)
	status, devToken := deviceToken(t, base, cfg.Secrets.MasterKey, room.DemoMainRecorder)
	require.Equal(t, http.StatusOK, status)
	dir := t.TempDir()
	data := make([]byte, 4096)
	_, _ = rand.Read(data)
	segPath := filepath.Join(dir, "edge-nj-1-cam1-000001.mp4")
	require.NoError(t, os.WriteFile(segPath, data, 0o644))
	start := time.Now().Add(-10 * time.Second).UTC()
	njRoom := sess.Rooms[0]
	if njRoom.VenueCode != room.DemoMainVenue {
		njRoom = sess.Rooms[1]
	}
	mf, err := manifest.Build(segPath, manifest.Info{Recorder: room.DemoMainRecorder, Room: itoa(njRoom.ID), Session: itoa(sess.ID),
		Start: start, End: start.Add(time.Minute), Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}})
	require.NoError(t, err)
	chain, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(dir, "chain.state"), Recorder: room.DemoMainRecorder, Key: priv, Dir: dir})
	require.NoError(t, err)
	mf, err = chain.Append(mf)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(dir, manifest.ManifestName(filepath.Base(segPath))))
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])

	send := func(method, p string, body []byte, tok string) int {
		req, err := http.NewRequest(method, base+p, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnprocessableEntity, send("PUT", "/archive/segments/"+hash, append(data, 0), devToken), "bytes that do not match the hash")
	require.Equal(t, http.StatusConflict, send("POST", "/archive/manifests", raw, devToken), "manifest before its segment")
	require.Equal(t, http.StatusUnauthorized, send("PUT", "/archive/segments/"+hash, data, "forged"), "no device token")
	require.Equal(t, http.StatusCreated, send("PUT", "/archive/segments/"+hash, data, devToken))
	tampered := bytes.Replace(raw, []byte(`"cam1"`), []byte(`"cam9"`), 1)
	require.Equal(t, http.StatusUnprocessableEntity, send("POST", "/archive/manifests", tampered, devToken), "a tampered manifest")
	require.Equal(t, http.StatusCreated, send("POST", "/archive/manifests", raw, devToken))
	require.Equal(t, http.StatusOK, send("POST", "/archive/manifests", raw, devToken), "idempotent")

	// A score, and where each room was recorded at its instant.
	var score room.ScoreRecord
	require.Equal(t, http.StatusCreated, expert.do("POST", path+"/scores", map[string]any{"bidder": "B1", "criterion": "C1", "value": 25.5}, &score))
	var pb room.Playback
	require.Equal(t, http.StatusOK, sup.do("GET", "/api/scores/"+itoa(score.ID)+"/playback", nil, &pb))
	require.Len(t, pb.Rooms, 2)
	for _, r := range pb.Rooms {
		if r.RoomID == njRoom.ID {
			require.NotNil(t, r.Position, "Nanjing's segment covers the score")
			require.Equal(t, hash, r.Position.Segment)
			require.InDelta(t, pb.At.Sub(mf.Start).Seconds(), r.Position.Offset.Seconds(), 0.001)
		} else {
			require.Nil(t, r.Position)
			require.NotEmpty(t, r.Missing)
		}
	}
}
