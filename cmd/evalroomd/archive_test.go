package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
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
	sess, path := startEvaluating(t, admin, staff)

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

// uploadSegments records n signed segments of 10 s from start as the demo
// recorder of room roomID in session sessionID and uploads them with its
// device token; it returns their hashes.
func uploadSegments(t *testing.T, base, masterKey, recorder string, roomID, sessionID int64, start time.Time, n int) []string {
	t.Helper()
	keys, err := seal.ParseKey(masterKey)
	require.NoError(t, err)
	status, tok := deviceToken(t, base, masterKey, recorder)
	require.Equal(t, http.StatusOK, status)
	dir := t.TempDir()
	chain, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(dir, "chain.state"), Recorder: recorder,
		Key: DemoRecorderKey(keys, recorder), Dir: dir})
	require.NoError(t, err)
	send := func(method, p string, body []byte) {
		req, err := http.NewRequest(method, base+p, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode, "%s %s", method, p)
	}
	var hashes []string
	for i := 0; i < n; i++ {
		data := make([]byte, 3000+i)
		_, _ = rand.Read(data)
		name := fmt.Sprintf("%s-cam1-%06d.mp4", recorder, i+1)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		at := start.Add(time.Duration(i) * 10 * time.Second)
		mf, err := manifest.Build(p, manifest.Info{Recorder: recorder, Room: itoa(roomID), Session: itoa(sessionID),
			Start: at, End: at.Add(10 * time.Second), Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}})
		require.NoError(t, err)
		_, err = chain.Append(mf)
		require.NoError(t, err)
		raw, err := os.ReadFile(filepath.Join(dir, manifest.ManifestName(name)))
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])
		send("PUT", "/archive/segments/"+hash, data)
		send("POST", "/archive/manifests", raw)
		hashes = append(hashes, hash)
	}
	return hashes
}

// TestEvidenceExportAndVerify runs a session's evidence through a real
// evalroomd: both demo rooms upload segments, the evaluator scores and
// corrects, the archivist exports the session (the export verifies
// offline, with the keys it carries and with the registered ones) and
// verifies it on the server; evaluators and staff may do neither; both
// are audited; a blob altered on disk is then found.
func TestEvidenceExportAndVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfg := testConfig(t)
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	base := "http://" + m.Addr
	admin, staff, expert, archivist := login(t, base, "admin"), login(t, base, "staff-nj"), login(t, base, "expert-demo"), login(t, base, "archivist")
	sess, path := startEvaluating(t, admin, staff)

	var apiErr struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	require.Equal(t, http.StatusNotFound, archivist.do("GET", path+"/archive/export", nil, &apiErr), "nothing uploaded yet")
	require.Equal(t, "该评标在所选时间内没有已上传的录像", apiErr.Error.Message)

	start := time.Now().Add(-30 * time.Second).UTC()
	var hashes []string
	for _, r := range sess.Rooms {
		hashes = append(hashes, uploadSegments(t, base, cfg.Secrets.MasterKey, r.RecorderID, r.ID, sess.ID, start, 2)...)
	}
	var score room.ScoreRecord
	require.Equal(t, http.StatusCreated, expert.do("POST", path+"/scores", map[string]any{"bidder": "B1", "criterion": "C1", "value": 25.5}, &score))
	require.Equal(t, http.StatusCreated, expert.do("POST", path+"/scores", map[string]any{"bidder": "B1", "criterion": "C1", "value": 26,
		"comment": "看错了", "corrects": score.ID}, nil))

	for _, c := range []*client{expert, staff} {
		require.Equal(t, http.StatusForbidden, c.do("GET", path+"/archive/export", nil, nil))
		require.Equal(t, http.StatusForbidden, c.do("POST", path+"/archive/verify", nil, nil))
	}

	// The archivist's export verifies offline.
	resp, err := archivist.http.Get(base + path + "/archive/export")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Disposition"), "evalroom-session-"+itoa(sess.ID)+"-evidence-")
	file := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(file)
	require.NoError(t, err)
	_, err = io.Copy(f, resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	rep, err := evidence.VerifyFile(ctx, file, evidence.VerifyOptions{})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
	require.Len(t, rep.Slices, 2)
	require.Equal(t, 4, rep.Slices[0].Segments+rep.Slices[1].Segments)
	require.Equal(t, 2, rep.Scores.Matched, "the score and its correction, each matched by its audit entry")
	keys, err := seal.ParseKey(cfg.Secrets.MasterKey)
	require.NoError(t, err)
	var ring manifest.KeyRing
	for _, r := range sess.Rooms {
		ring.Add(r.RecorderID, DemoRecorderKey(keys, r.RecorderID).Public().(ed25519.PublicKey))
	}
	rep, err = evidence.VerifyFile(ctx, file, evidence.VerifyOptions{Keys: &ring})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)

	var vr archive.VerifyReport
	require.Equal(t, http.StatusOK, archivist.do("POST", path+"/archive/verify", nil, &vr))
	require.True(t, vr.OK, "%+v", vr.First)
	require.Equal(t, 4, vr.Verified)

	// Both are audited in the archivist's name; staff's attempts reached nothing.
	var me struct {
		ID int64 `json:"id"`
	}
	require.Equal(t, http.StatusOK, archivist.do("GET", "/api/me", nil, &me))
	for _, action := range []string{"archive.export", "archive.verify"} {
		var list struct {
			Entries []struct {
				Actor  string `json:"actor"`
				Object string `json:"object"`
			} `json:"entries"`
		}
		require.Equal(t, http.StatusOK, admin.do("GET", "/api/audit?action="+action, nil, &list))
		require.Len(t, list.Entries, 1, action)
		require.Equal(t, "user:"+itoa(me.ID), list.Entries[0].Actor)
		require.Equal(t, "session:"+itoa(sess.ID), list.Entries[0].Object)
	}

	// A byte of a stored segment changes behind the archive's back.
	h := hashes[1]
	blob := filepath.Join(cfg.Archive.Dir, h[0:2], h[2:4], h)
	data, err := os.ReadFile(blob)
	require.NoError(t, err)
	data[0] ^= 0xff
	require.NoError(t, os.Chmod(blob, 0o640))
	require.NoError(t, os.WriteFile(blob, data, 0o440))
	require.Equal(t, http.StatusOK, admin.do("POST", path+"/archive/verify", nil, &vr))
	require.False(t, vr.OK)
	require.Equal(t, evidence.KindSegmentHash, vr.First.Kind)
	require.Equal(t, "segment:"+h, vr.First.Name)
}
