package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
)

var t0 = time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC)

// chain is a recorder that wrote n segments in a folder and signed them.
type chain struct {
	id   string
	room int64
	pub  ed25519.PublicKey
	dir  string
	segs []evidence.Segment
}

// newChain records n small segments of 10 s from t0 as recorder id.
func newChain(t *testing.T, id string, room int64, n int) chain {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	c := chain{id: id, room: room, pub: pub, dir: t.TempDir()}
	mc, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(t.TempDir(), "state"), Recorder: id, Key: priv, Dir: c.dir})
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("seg-%06d.mp4", i)
		p := filepath.Join(c.dir, name)
		data := make([]byte, 1500+i)
		_, err := rand.Read(data)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		start := t0.Add(time.Duration(i-1) * 10 * time.Second)
		m, err := manifest.Build(p, manifest.Info{Recorder: id, Room: fmt.Sprint(room), Session: "7", Start: start, End: start.Add(10 * time.Second),
			Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}})
		require.NoError(t, err)
		m, err = mc.Append(m)
		require.NoError(t, err)
		raw, err := m.Canonical()
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		c.segs = append(c.segs, evidence.Segment{Seq: m.Seq, Name: name, Key: hex.EncodeToString(sum[:]), Size: int64(len(data)),
			Manifest: raw, Open: func(context.Context) (io.ReadCloser, error) { return os.Open(p) }})
	}
	return c
}

func (c chain) recorder() evidence.Recorder {
	return evidence.Recorder{ID: c.id, Room: c.room, PublicKey: c.pub, Segments: c.segs}
}

// auditLog builds a hash chain of entries as internal/audit would.
type auditLog struct{ entries []audit.Entry }

func (l *auditLog) add(actor, action, object string, detail any) audit.Entry {
	d, _ := json.Marshal(detail)
	e := audit.Entry{Seq: int64(len(l.entries) + 1), At: t0.Add(time.Duration(len(l.entries)) * time.Second),
		Actor: actor, Action: action, Object: object, Detail: d, PrevHash: audit.GenesisHash}
	if n := len(l.entries); n > 0 {
		e.PrevHash = l.entries[n-1].Hash
	}
	e.Hash = audit.ComputeHash(e)
	l.entries = append(l.entries, e)
	return e
}

// score is a scoring record as the API writes it.
type score struct {
	ID         int64     `json:"id"`
	SessionID  int64     `json:"session_id"`
	Actor      string    `json:"actor"`
	Bidder     string    `json:"bidder"`
	Criterion  string    `json:"criterion"`
	Value      float64   `json:"value"`
	Comment    string    `json:"comment"`
	Corrects   int64     `json:"corrects,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
	Effective  bool      `json:"effective"`
}

// sessionContent is a session of two rooms with three segments each, a
// score and its correction, and the audit entries about them.
func sessionContent(t *testing.T) (evidence.Content, chain, chain) {
	t.Helper()
	a, b := newChain(t, "edge-nj-1", 4, 3), newChain(t, "edge-hf-1", 5, 3)
	var log auditLog
	log.add("user:1", "session.create", "session:7", map[string]any{"ref": "S7"})
	log.add("user:1", "room.add", "room:4", nil)
	scores := []score{
		{ID: 1, SessionID: 7, Actor: "user:9", Bidder: "B1", Criterion: "C1", Value: 25.5, RecordedAt: t0.Add(15 * time.Second)},
		{ID: 2, SessionID: 7, Actor: "user:9", Bidder: "B1", Criterion: "C1", Value: 27, Comment: "看错了", Corrects: 1,
			RecordedAt: t0.Add(25 * time.Second), Effective: true},
	}
	for _, s := range scores {
		action := "score.record"
		if s.Corrects > 0 {
			action = "score.correct"
		}
		log.add(s.Actor, action, "session:7", map[string]any{"score_id": s.ID, "bidder": s.Bidder, "criterion": s.Criterion,
			"value": s.Value, "comment": s.Comment, "corrects": s.Corrects, "member_id": 0, "recorded_at": s.RecordedAt})
	}
	log.add("user:2", "archive.export", "session:7", map[string]any{"segments": 6})
	data, err := json.Marshal(scores)
	require.NoError(t, err)
	return evidence.Content{CreatedAt: t0.Add(time.Hour), CreatedBy: "user:2", Session: 7, SessionRef: "S7",
		Rooms: []int64{4, 5}, From: t0, To: t0.Add(time.Minute),
		Recorders: []evidence.Recorder{a.recorder(), b.recorder()},
		Files:     []evidence.File{{Name: "scores.json", Data: data}, {Name: "session.json", Data: []byte(`{"id":7}`)}},
		Audit:     log.entries}, a, b
}

// write writes c and returns the file's bytes.
func write(t *testing.T, c evidence.Content) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := evidence.Write(context.Background(), &buf, c)
	require.NoError(t, err)
	return buf.Bytes()
}

// verify verifies an export held in memory.
func verify(t *testing.T, data []byte, opts evidence.VerifyOptions) evidence.Report {
	t.Helper()
	rep, err := evidence.Verify(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
	require.NoError(t, err)
	return rep
}

// rezip rewrites an export member by member: edit returns the new body,
// or nil to drop the member.
func rezip(t *testing.T, data []byte, edit func(name string, body []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		body = edit(f.Name, body)
		if body == nil {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: f.Method})
		require.NoError(t, err)
		_, err = w.Write(body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// editIndex rewrites export.json through edit.
func editIndex(t *testing.T, body []byte, edit func(*evidence.Index)) []byte {
	t.Helper()
	var idx evidence.Index
	require.NoError(t, json.Unmarshal(body, &idx))
	edit(&idx)
	out, err := json.Marshal(idx)
	require.NoError(t, err)
	return out
}
