package main

import (
	"archive/zip"
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
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/stretchr/testify/require"
)

// exportRecorder records n small signed segments as recorder id and
// returns them as an export's slice.
func exportRecorder(t *testing.T, id string, room int64, n int) evidence.Recorder {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	dir := t.TempDir()
	c, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(t.TempDir(), "state"), Recorder: id, Key: priv, Dir: dir})
	require.NoError(t, err)
	rec := evidence.Recorder{ID: id, Room: room, PublicKey: pub}
	start := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("seg-%06d.mp4", i)
		p := filepath.Join(dir, name)
		data := make([]byte, 2000+i)
		_, err := rand.Read(data)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		at := start.Add(time.Duration(i-1) * 10 * time.Second)
		m, err := manifest.Build(p, manifest.Info{Recorder: id, Room: itoa(room), Session: "1", Start: at, End: at.Add(10 * time.Second),
			Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}})
		require.NoError(t, err)
		m, err = c.Append(m)
		require.NoError(t, err)
		raw, err := m.Canonical()
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		rec.Segments = append(rec.Segments, evidence.Segment{Seq: m.Seq, Name: name, Key: hex.EncodeToString(sum[:]),
			Size: int64(len(data)), Manifest: raw, Open: func(context.Context) (io.ReadCloser, error) { return os.Open(p) }})
	}
	return rec
}

// exportFile writes an export of two rooms with three segments each, a
// score with its audit entry, and returns its path and the keys file of
// the registered keys.
func exportFile(t *testing.T) (string, string) {
	t.Helper()
	recs := []evidence.Recorder{exportRecorder(t, "edge-nj-1", 1, 3), exportRecorder(t, "edge-hf-1", 2, 3)}
	at := time.Date(2026, 3, 2, 1, 30, 15, 0, time.UTC)
	detail, err := json.Marshal(map[string]any{"score_id": 1, "bidder": "B1", "criterion": "C1", "value": 25.5, "recorded_at": at})
	require.NoError(t, err)
	e := audit.Entry{Seq: 1, At: at, Actor: "user:9", Action: "score.record", Object: "session:1", Detail: detail, PrevHash: audit.GenesisHash}
	e.Hash = audit.ComputeHash(e)
	scores, err := json.Marshal([]map[string]any{{"id": 1, "session_id": 1, "actor": "user:9", "bidder": "B1", "criterion": "C1",
		"value": 25.5, "recorded_at": at}})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = evidence.Write(context.Background(), &buf, evidence.Content{CreatedAt: at.Add(time.Hour), CreatedBy: "user:2",
		Session: 1, SessionRef: "S1", Rooms: []int64{1, 2}, From: at.Add(-time.Minute), To: at.Add(time.Hour),
		Recorders: recs, Files: []evidence.File{{Name: "scores.json", Data: scores}}, Audit: []audit.Entry{e}})
	require.NoError(t, err)
	dir := t.TempDir()
	p := filepath.Join(dir, "evidence.zip")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	keys := filepath.Join(dir, "registered-keys")
	var lines string
	for _, r := range recs {
		lines += r.ID + " " + base64.StdEncoding.EncodeToString(r.PublicKey) + "\n"
	}
	require.NoError(t, os.WriteFile(keys, []byte(lines), 0o644))
	return p, keys
}

// rewriteExport rewrites the export at p member by member through edit
// (nil drops the member) into a new file.
func rewriteExport(t *testing.T, p string, edit func(name string, body []byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(p)
	require.NoError(t, err)
	defer zr.Close()
	out := filepath.Join(t.TempDir(), "tampered.zip")
	f, err := os.Create(out)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for _, m := range zr.File {
		rc, err := m.Open()
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		if body = edit(m.Name, body); body == nil {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.Name, Method: m.Method})
		require.NoError(t, err)
		_, err = w.Write(body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return out
}

func TestArchiveVerifyChecksAnExportOffline(t *testing.T) {
	file, keys := exportFile(t)
	out, err := run(t, "", nil, "archive", "verify", file)
	require.NoError(t, err, out)
	require.Contains(t, out, "注意：录像设备公钥取自导出包")
	require.Contains(t, out, "OK        seg-000003.mp4  edge-nj-1 #3")
	require.Contains(t, out, "chain edge-hf-1: seq 1–3, 3 manifests (3 segments, 0 chain-only)")
	require.Contains(t, out, "anchor 锚点: seq 1 prev_hash 0000000000000000000000000000000000000000000000000000000000000000")
	require.Contains(t, out, "scores: 1 records, 1 matched by their audit entries")
	require.Contains(t, out, "全部通过：6 个片段")

	out, err = run(t, "", nil, "archive", "verify", "-keys", keys, file)
	require.NoError(t, err, out)
	require.NotContains(t, out, "注意")

	_, otherPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	otherKeys := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(otherKeys, []byte("edge-hf-1 "+base64.StdEncoding.EncodeToString(otherPriv.Public().(ed25519.PublicKey))+"\n"), 0o644))

	const (
		seg2 = "recorders/edge-nj-1/seg-000002.mp4"
		man2 = "recorders/edge-nj-1/seg-000002.manifest.json"
	)
	cases := []struct {
		name string
		file func() string
		args []string
		want []string
	}{
		{"segment byte flipped", func() string {
			return rewriteExport(t, file, func(name string, body []byte) []byte {
				if name == seg2 {
					body[len(body)/2] ^= 0x80
				}
				return body
			})
		}, nil, []string{"BROKEN    " + man2 + "  录像片段文件哈希不符", "第一个断裂环节 (first broken link): " + man2}},
		{"manifest byte flipped", func() string {
			return rewriteExport(t, file, func(name string, body []byte) []byte {
				if name == man2 {
					return bytes.Replace(body, []byte(`"session_id":"1"`), []byte(`"session_id":"3"`), 1)
				}
				return body
			})
		}, nil, []string{"first broken link): " + man2 + ": 签名无效 (bad signature)"}},
		{"middle manifest dropped", func() string {
			return rewriteExport(t, file, func(name string, body []byte) []byte {
				if name == man2 {
					return nil
				}
				return body
			})
		}, nil, []string{"first broken link): " + man2 + ": 清单格式错误或缺失", "UNLISTED  " + seg2}},
		{"another key registered", func() string { return file }, []string{"-keys", otherKeys},
			[]string{"KEY       edge-hf-1", "first broken link): recorders/edge-hf-1/seg-000001.manifest.json: 签名无效"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"archive", "verify"}, tc.args...), tc.file())
			out, err := run(t, "", nil, args...)
			require.ErrorIs(t, err, errArchiveBroken, out)
			require.ErrorIs(t, err, evidence.ErrBroken)
			for _, w := range tc.want {
				require.Contains(t, out, w)
			}
		})
	}
}
