package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web"
)

// tokenWith asks base for a device token as recorder, signing with priv.
func tokenWith(t *testing.T, base, recorder string, priv ed25519.PrivateKey) (int, string) {
	t.Helper()
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	var out struct {
		Token string `json:"token"`
	}
	anon := &client{t: t, base: base, http: http.DefaultClient}
	status := anon.do("POST", "/api/devices/token", map[string]any{"recorder_id": recorder, "timestamp": ts,
		"signature": ed25519.Sign(priv, room.DeviceMessage(recorder, ts))}, &out)
	return status, out.Token
}

// uploadNext signs the segment after the recorder's chain head (asked of
// the archive) with priv and uploads it with tok; it returns the
// manifest's status.
func uploadNext(t *testing.T, base, tok, recorder string, roomID, sessionID int64, start time.Time, priv ed25519.PrivateKey) int {
	t.Helper()
	send := func(method, p string, body []byte, out any) int {
		req, err := http.NewRequest(method, base+p, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		if out != nil {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
		}
		return resp.StatusCode
	}
	var head struct {
		Seq          int64  `json:"seq"`
		ManifestHash string `json:"manifest_hash"`
	}
	require.Equal(t, http.StatusOK, send("GET", "/archive/chain", nil, &head))
	prev, err := manifest.ParseDigest(head.ManifestHash)
	require.NoError(t, err)
	data := make([]byte, 3500+head.Seq)
	_, _ = rand.Read(data)
	sum := sha256.Sum256(data)
	d, err := manifest.ParseDigest(hex.EncodeToString(sum[:]))
	require.NoError(t, err)
	at := start.Add(time.Duration(head.Seq) * 10 * time.Second)
	m := manifest.Manifest{Version: manifest.Version, Recorder: recorder, Room: itoa(roomID), Session: itoa(sessionID), Seq: head.Seq + 1,
		Prev: prev, Segment: fmt.Sprintf("%s-cam1-%06d.mp4", recorder, head.Seq+1), Size: int64(len(data)), Alg: manifest.SHA256,
		SegmentHash: d, Start: at, End: at.Add(10 * time.Second), CreatedAt: at.Add(10 * time.Second),
		Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}}
	require.NoError(t, m.Sign(priv))
	raw, err := m.Canonical()
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, send("PUT", "/archive/segments/"+d.String(), data, nil))
	return send("POST", "/archive/manifests", raw, nil)
}

// TestAReplacedRecorderKeyThroughEvalroomd re-registers the Nanjing
// recorder's key through the API while its session runs: what the old
// key signed before stays verifiable, the old key is refused afterwards,
// and the archivist's export is signed by the key the server publishes.
func TestAReplacedRecorderKeyThroughEvalroomd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfg := testConfig(t)
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	base := "http://" + m.Addr
	admin, staff, archivist := login(t, base, "admin"), login(t, base, "staff-nj"), login(t, base, "archivist")
	sess, path := startEvaluating(t, admin, staff)
	keys, err := seal.ParseKey(cfg.Secrets.MasterKey)
	require.NoError(t, err)

	// The server's export signing key, published to anyone.
	anon := &client{t: t, base: base, http: http.DefaultClient}
	var sk web.ServerKeyInfo
	require.Equal(t, http.StatusOK, anon.do("GET", "/api/archive/server-key", nil, &sk))
	serverPub := archivewire.ExportKey(keys).Public().(ed25519.PublicKey)
	require.Equal(t, base64.StdEncoding.EncodeToString(serverPub), sk.PublicKey)
	require.Equal(t, evidence.Fingerprint(serverPub), sk.Fingerprint)
	for _, r := range sess.Rooms {
		require.NotEqual(t, DemoRecorderKey(keys, r.RecorderID).Public(), ed25519.PublicKey(serverPub), "never a recorder's key")
	}

	// Both rooms upload with the demo keys (key A for Nanjing).
	start := time.Now().Add(-time.Minute).UTC()
	nj := sess.Rooms[0]
	if nj.RecorderID != room.DemoMainRecorder {
		nj = sess.Rooms[1]
	}
	for _, r := range sess.Rooms {
		uploadSegments(t, base, cfg.Secrets.MasterKey, r.RecorderID, r.ID, sess.ID, start, 2)
	}
	privA := DemoRecorderKey(keys, nj.RecorderID)
	_, oldTok := tokenWith(t, base, nj.RecorderID, privA)

	// The room PC is replaced: the administrator registers key B.
	pubB, privB, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, admin.do("PUT", "/api/rooms/"+itoa(nj.ID)+"/recorder",
		map[string]any{"recorder_id": nj.RecorderID, "public_key": base64.StdEncoding.EncodeToString(pubB)}, nil))
	status, _ := tokenWith(t, base, nj.RecorderID, privA)
	require.Equal(t, http.StatusUnauthorized, status, "the old key gets no device token")
	require.Equal(t, http.StatusUnprocessableEntity, uploadNext(t, base, oldTok, nj.RecorderID, nj.ID, sess.ID, start, privA),
		"a manifest signed with the old key after it was replaced")
	status, newTok := tokenWith(t, base, nj.RecorderID, privB)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, http.StatusCreated, uploadNext(t, base, newTok, nj.RecorderID, nj.ID, sess.ID, start, privB))

	// The whole session verifies on the server.
	var vr archive.VerifyReport
	require.Equal(t, http.StatusOK, archivist.do("POST", path+"/archive/verify", nil, &vr))
	require.True(t, vr.OK, "%+v", vr.First)
	require.Equal(t, 5, vr.Verified)

	// The export carries both keys, is signed with the published key and
	// verifies offline against it.
	resp, err := archivist.http.Get(base + path + "/archive/export")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	file := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(file)
	require.NoError(t, err)
	_, err = io.Copy(f, resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	rep, err := evidence.VerifyFile(ctx, file, evidence.VerifyOptions{ServerFingerprint: sk.Fingerprint})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
	require.True(t, rep.Signature.Trusted)
	for _, r := range rep.Index.Recorders {
		if r.Recorder == nj.RecorderID {
			require.Len(t, r.Keys, 2)
			require.Equal(t, evidence.Fingerprint(privA.Public().(ed25519.PublicKey)), r.Keys[0].Fingerprint)
			require.Equal(t, evidence.Fingerprint(pubB), r.Keys[1].Fingerprint)
		}
	}
}
