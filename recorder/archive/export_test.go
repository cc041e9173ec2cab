package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
)

// scoreFiles records a score and its correction in the audit log, as
// room does, and returns scores.json.
func scoreFiles(t *testing.T, e *env) []evidence.File {
	t.Helper()
	type rec struct {
		ID         int64     `json:"id"`
		SessionID  int64     `json:"session_id"`
		Actor      string    `json:"actor"`
		Bidder     string    `json:"bidder"`
		Criterion  string    `json:"criterion"`
		Value      float64   `json:"value"`
		Comment    string    `json:"comment"`
		Corrects   int64     `json:"corrects,omitempty"`
		RecordedAt time.Time `json:"recorded_at"`
	}
	recs := []rec{{1, 7, "user:9", "B1", "C1", 20, "", 0, t0.Add(5 * time.Second)},
		{2, 7, "user:9", "B1", "C1", 22.5, "更正", 1, t0.Add(15 * time.Second)}}
	for _, r := range recs {
		action := "score.record"
		if r.Corrects > 0 {
			action = "score.correct"
		}
		_, err := e.audit.AppendNow(context.Background(), audit.Record{Actor: r.Actor, Action: action, Object: "session:7",
			Detail: map[string]any{"score_id": r.ID, "bidder": r.Bidder, "criterion": r.Criterion, "value": r.Value,
				"comment": r.Comment, "corrects": r.Corrects, "recorded_at": r.RecordedAt}})
		require.NoError(t, err)
	}
	data, err := json.Marshal(recs)
	require.NoError(t, err)
	return []evidence.File{{Name: "scores.json", Data: data}}
}

func TestExportOfASessionVerifiesOffline(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a, b := newRecorder(t, e, "edge-nj-1", 4, true), newRecorder(t, e, "edge-hf-1", 5, true)
	var sa []seg
	for i := 0; i < 3; i++ {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		if i == 1 {
			a.session = "8" // another session in Nanjing's room meanwhile
		}
		sa = append(sa, a.segment(t, at, 10*time.Second))
		a.session = ""
		upload(t, e, a, sa[i])
		upload(t, e, b, b.segment(t, at, 10*time.Second))
	}
	files := scoreFiles(t, e)

	x, err := e.svc.PrepareExport(ctx, archive.ExportRequest{Actor: "user:2", Selection: sessionSel, SessionRef: "S7", Files: files})
	require.NoError(t, err)
	require.Equal(t, 5, x.Segments)
	require.Equal(t, 1, x.ChainOnly, "session 8's segment keeps only its manifest")
	require.True(t, strings.HasPrefix(x.FileName, "evalroom-session-7-evidence-"), x.FileName)
	var buf bytes.Buffer
	w, err := x.Write(ctx, &buf)
	require.NoError(t, err)
	require.Empty(t, w.Damaged)
	require.Equal(t, x.Bytes, w.Bytes)

	rep, err := evidence.Verify(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), evidence.VerifyOptions{})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
	require.Len(t, rep.Slices, 2)
	nj := rep.Slices[1]
	require.Equal(t, "edge-nj-1", nj.Recorder)
	require.Equal(t, 3, nj.Manifests)
	require.Equal(t, 1, nj.ChainOnly)
	require.Equal(t, 2, rep.Scores.Matched)
	require.NotContains(t, rep.Unlisted, "recorders/edge-nj-1/seg-000002.mp4")
	// The audit entries: six acceptances of the session's segments' slices
	// (the chain-only one included), two scores and the export itself.
	actions := map[string]int{}
	for _, l := range auditLines(t, buf.Bytes()) {
		actions[l.Action]++
	}
	require.Equal(t, map[string]int{"archive.accept": 6, "score.record": 1, "score.correct": 1, "archive.export": 1}, actions)
	entries, err := e.audit.List(ctx, audit.Filter{Action: "archive.export"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "user:2", entries[0].Actor)
	require.Equal(t, "session:7", entries[0].Object)

	// A session with nothing recorded, and a store that lost a blob.
	_, err = e.svc.PrepareExport(ctx, archive.ExportRequest{Actor: "user:2",
		Selection: archive.Selection{Session: 9, Rooms: []int64{6}, From: t0, To: t0.Add(time.Minute)}})
	require.ErrorIs(t, err, archive.ErrNotFound)
	require.NoError(t, os.Remove(e.blobPath(sa[2].hash)))
	_, err = e.svc.PrepareExport(ctx, archive.ExportRequest{Actor: "user:2", Selection: sessionSel})
	require.ErrorIs(t, err, archive.ErrMissingSegment)
}

// auditLines reads audit.jsonl of an export.
func auditLines(t *testing.T, data []byte) []evidence.AuditLine {
	t.Helper()
	body := member(t, data, evidence.AuditName)
	var out []evidence.AuditLine
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		var a evidence.AuditLine
		require.NoError(t, json.Unmarshal([]byte(l), &a))
		out = append(out, a)
	}
	return out
}
