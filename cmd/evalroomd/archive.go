package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web"
)

// startArchive opens the central archive's store and index and builds the
// recorders' upload handler; it needs startRoom's rooms and tokens.
func (m *Main) startArchive(ctx context.Context) error {
	c := m.Config.Archive
	if c.Dir == "" {
		return fmt.Errorf("archive.dir: required")
	}
	store, err := archive.OpenStore(ctx, archivewire.StoreConfig(c))
	if err != nil {
		return fmt.Errorf("archive store %s: %w", c.Store, err)
	}
	repl, err := m.startReplication(ctx, store)
	if err != nil {
		return err
	}
	m.archive, err = archive.New(archive.Params{
		DB: m.db, Store: store, Keys: archivewire.RecorderKeys{Rooms: m.rooms}, Audit: m.audit,
		MaxSegmentBytes: int64(c.MaxSegmentMB) << 20, Logger: m.log.With("component", "archive"),
		Replicator: repl,
	})
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	m.archiveUpload, err = archive.NewHandler(archive.HandlerParams{Service: m.archive, Tokens: m.tokens, Logger: m.log.With("component", "archive-upload")})
	if err != nil {
		return fmt.Errorf("archive upload: %w", err)
	}
	return nil
}

// archiveIndex is the archive seen as room's index for scoring records'
// playback.
type archiveIndex struct{ a *archive.Service }

var _ room.ArchiveIndex = archiveIndex{}

// Locate returns where in the room's archive instant at lies.
func (x archiveIndex) Locate(ctx context.Context, roomID int64, at time.Time) (room.Position, error) {
	p, err := x.a.Locate(ctx, roomID, at)
	if errors.Is(err, archive.ErrNotFound) {
		return room.Position{}, fmt.Errorf("%w: %v", room.ErrNotFound, err)
	}
	if err != nil {
		return room.Position{}, err
	}
	track := p.Stream
	if strings.Contains(track, "+") {
		track = "" // the segment holds all of the room's tracks
	}
	return room.Position{RecorderID: p.Recorder, Segment: p.SegmentHash, Track: track, SegmentStart: p.UTCStart, Offset: p.OffsetFromStart}, nil
}

// sessionEvidence is the archive seen as web's Evidence: it finds a
// session's rooms and span in room, hands its scoring records and its
// record to the export as files, and maps the archive's errors to room's.
type sessionEvidence struct {
	rooms   *room.Service
	archive *archive.Service
	audit   *audit.Log
	now     func() time.Time
	// signer signs each export (the server's export signing key).
	signer ed25519.PrivateKey
}

var _ web.Evidence = sessionEvidence{}

// ExportSession prepares the session's export with scores.json (every
// scoring record, corrections included) and session.json, signed with
// the server's export signing key.
func (e sessionEvidence) ExportSession(ctx context.Context, actor string, id int64) (web.EvidenceExport, error) {
	sess, err := e.rooms.GetSession(ctx, id)
	if err != nil {
		return nil, err
	}
	scores, err := e.rooms.ListScores(ctx, id, room.ScoreFilter{})
	if err != nil {
		return nil, err
	}
	if scores == nil {
		scores = []room.ScoreRecord{}
	}
	scoresJSON, err := json.MarshalIndent(scores, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("scores of session %d: %w", id, err)
	}
	sessionJSON, err := json.MarshalIndent(sess, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("session %d: %w", id, err)
	}
	x, err := e.archive.PrepareExport(ctx, archive.ExportRequest{Actor: actor, Selection: archivewire.SessionSelection(sess, e.now()),
		SessionRef: sess.Ref, Signer: e.signer, Files: []evidence.File{
			{Name: evidence.ScoresName, Data: append(scoresJSON, '\n')},
			{Name: "session.json", Data: append(sessionJSON, '\n')},
		}})
	if err != nil {
		return nil, roomError(err)
	}
	return exportFile{x}, nil
}

// VerifySession verifies the session's archived segments again.
func (e sessionEvidence) VerifySession(ctx context.Context, actor string, id int64) (archive.VerifyReport, error) {
	sess, err := e.rooms.GetSession(ctx, id)
	if err != nil {
		return archive.VerifyReport{}, err
	}
	rep, err := e.archive.VerifySession(ctx, actor, archivewire.SessionSelection(sess, e.now()))
	if err != nil {
		return archive.VerifyReport{}, roomError(err)
	}
	return rep, nil
}

// OpenSegment opens an indexed segment for playback and audits the view
// (archive.view, with the requested byte range).
func (e sessionEvidence) OpenSegment(ctx context.Context, actor, hash, byteRange string) (web.SegmentFile, error) {
	obj, seg, err := e.archive.Open(ctx, hash)
	if errors.Is(err, archive.ErrNotFound) {
		msg := "档案中没有该录像片段"
		if d := errtext.After(err, archive.ErrNotFound); d != "" {
			msg = d // deleted after the retention period
		}
		return web.SegmentFile{}, fmt.Errorf("%w: %s", room.ErrNotFound, msg)
	}
	if err != nil {
		return web.SegmentFile{}, roomError(err)
	}
	if _, err := e.audit.AppendNow(ctx, audit.Record{Actor: actor, Action: "archive.view", Object: "room:" + strconv.FormatInt(seg.Room, 10),
		Detail: map[string]any{"segment": hash, "recorder_id": seg.Recorder, "session_id": seg.Session, "range": byteRange}}); err != nil {
		obj.Close()
		return web.SegmentFile{}, fmt.Errorf("audit archive.view: %w", err)
	}
	return web.SegmentFile{Content: obj, Name: seg.Name, Start: seg.Start}, nil
}

// archiveErrors map the archive's errors to the room sentinels web
// knows, with a Chinese message for when the error carries none.
var archiveErrors = []struct {
	archive, room error
	message       string
}{
	{archive.ErrNotFound, room.ErrNotFound, "该评标没有已上传的录像"},
	{archive.ErrBadKey, room.ErrInvalid, "录像片段标识应为 64 位十六进制 SHA-256"},
	{archive.ErrMissingSegment, room.ErrConflict, "存储中缺少录像片段，无法导出；请先执行校验"},
	{archive.ErrUnknownRecorder, room.ErrConflict, "录像设备已不再登记，无法取得其公钥"},
	{archive.ErrInvalid, room.ErrInvalid, "该评标的录像范围无效"},
}

// roomError maps the archive's errors to the room sentinels web knows,
// keeping the Chinese detail (English detail stays in the log).
func roomError(err error) error {
	for _, m := range archiveErrors {
		if errors.Is(err, m.archive) {
			msg := errtext.After(err, m.archive)
			if msg == "" {
				msg = m.message
			}
			return &mappedError{room: m.room, msg: msg, cause: err}
		}
	}
	return err
}

// mappedError is an archive error shown as a room one: its text is the
// room sentinel's and the Chinese message; it unwraps to both the room
// sentinel and the archive's error.
type mappedError struct {
	room  error
	msg   string
	cause error
}

func (e *mappedError) Error() string   { return e.room.Error() + ": " + e.msg }
func (e *mappedError) Unwrap() []error { return []error{e.room, e.cause} }

// exportFile is a prepared export as web streams it.
type exportFile struct{ x *archive.Export }

// FileName names the download.
func (f exportFile) FileName() string { return f.x.FileName }

// Write streams the ZIP file.
func (f exportFile) Write(ctx context.Context, w io.Writer) error {
	_, err := f.x.Write(ctx, w)
	return err
}
