package archive

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
)

// ExportRequest asks for a session's evidence export.
type ExportRequest struct {
	// Actor is who asks ("user:7"); the export is audited in their name.
	// Required.
	Actor string
	// Selection is what the export covers.
	Selection Selection
	// SessionRef is the session's reference, written into the index.
	SessionRef string
	// Files are the session's records to include as they are, e.g.
	// scores.json (the scoring records, corrections included) and
	// session.json; see evidence.Content.Files.
	Files []evidence.File
	// Signer is the server's export signing key (see ExportKey): the
	// export lists every member with its SHA-256 and is signed with it.
	// Nil writes an unsigned export. Never a recorder's key.
	Signer ed25519.PrivateKey
}

// Export is a prepared evidence export: its content is gathered and the
// request audited; Write streams it.
type Export struct {
	// FileName is a file name for it, e.g.
	// "evalroom-session-12-evidence-20261123T093000Z.zip".
	FileName string
	// Segments, ChainOnly and Bytes count what it will hold.
	Segments, ChainOnly int
	Bytes               int64

	svc     *Service
	content evidence.Content
}

// PrepareExport gathers a session's evidence: each recorder's chain
// slice over req.Selection (segments the selection does not hold are
// kept as chain-only manifests, without their bytes) with each segment's
// acceptance time, every key each recorder ever had with its period,
// req.Files, and the audit entries about the session,
// its rooms and the slices' segments. It checks that the store holds
// every segment to include, then appends "archive.export" by req.Actor
// (so the export's own audit.jsonl shows who exported it). Nothing has
// been written yet; Write streams the file. Errors: ErrInvalid (a bad
// request), ErrNotFound (nothing recorded for the selection),
// ErrMissingSegment (the store lost a segment the index holds), database
// errors.
func (s *Service) PrepareExport(ctx context.Context, req ExportRequest) (*Export, error) {
	if req.Actor == "" {
		return nil, fmt.Errorf("%w: export: actor", ErrInvalid)
	}
	sel := req.Selection
	slices, err := s.slices(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("export session %d: %w", sel.Session, err)
	}
	if len(slices) == 0 {
		return nil, fmt.Errorf("%w: 该评标在所选时间内没有已上传的录像", ErrNotFound)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if req.Signer != nil && len(req.Signer) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: export: signing key", ErrInvalid)
	}
	x := &Export{svc: s, content: evidence.Content{CreatedAt: now, CreatedBy: req.Actor, Session: sel.Session,
		SessionRef: req.SessionRef, Rooms: sel.Rooms, From: sel.From, To: sel.To, Files: req.Files, Signer: req.Signer}}
	x.FileName = fmt.Sprintf("evalroom-session-%d-evidence-%s.zip", sel.Session, now.Format("20060102T150405Z"))
	objects := []string{}
	if sel.Session > 0 {
		objects = append(objects, "session:"+strconv.FormatInt(sel.Session, 10))
	}
	for _, r := range sel.Rooms {
		objects = append(objects, "room:"+strconv.FormatInt(r, 10))
	}
	for _, sl := range slices {
		rec, err := s.exportRecorder(ctx, sl, x)
		if err != nil {
			return nil, fmt.Errorf("export session %d: %w", sel.Session, err)
		}
		x.content.Recorders = append(x.content.Recorders, rec)
		for _, g := range sl.rows {
			objects = append(objects, "segment:"+g.Hash)
		}
	}
	if _, err := s.audit.AppendNow(ctx, audit.Record{Actor: req.Actor, Action: "archive.export",
		Object: selectionObject(sel), Detail: exportDetail(x, sel)}); err != nil {
		return nil, fmt.Errorf("export session %d: audit: %w", sel.Session, err)
	}
	if x.content.Audit, err = s.auditEntries(ctx, objects); err != nil {
		return nil, fmt.Errorf("export session %d: %w", sel.Session, err)
	}
	return x, nil
}

// exportRecorder builds one recorder's slice for the export and counts
// it into x.
func (s *Service) exportRecorder(ctx context.Context, sl slice, x *Export) (evidence.Recorder, error) {
	keys, err := s.keyHistory(ctx, sl.recorder)
	if err != nil {
		return evidence.Recorder{}, fmt.Errorf("keys of %s: %w", sl.recorder, err)
	}
	rec := evidence.Recorder{ID: sl.recorder, Room: sl.room, Keys: keys, PublicKey: keys[len(keys)-1].PublicKey}
	if p, ok := keyInForce(keys, s.now()); ok {
		rec.PublicKey = p.PublicKey
	}
	if _, ok := s.keys.(KeyHistory); !ok {
		rec.Keys = nil // the current key only: no periods to show
	}
	for _, g := range sl.rows {
		seg := evidence.Segment{Seq: g.Seq, Name: g.Name, Key: g.Hash, Size: g.Size, Manifest: g.ManifestRaw,
			AcceptedAt: g.AcceptedAt,
			ChainOnly:  !sl.selected[g.Seq] || g.Tombstone != nil} // a deleted segment keeps its link only
		if seg.ChainOnly {
			x.ChainOnly++
		} else {
			ok, err := s.store.Has(ctx, g.Hash)
			if err != nil {
				return evidence.Recorder{}, err
			}
			if !ok {
				return evidence.Recorder{}, fmt.Errorf("%w: 存储中缺少录像片段 %s（%s 序号 %d），无法导出；请先执行校验", ErrMissingSegment, g.Hash, g.Recorder, g.Seq)
			}
			key := g.Hash
			seg.Open = func(ctx context.Context) (io.ReadCloser, error) { return s.store.Open(ctx, key) }
			x.Segments++
			x.Bytes += g.Size
		}
		rec.Segments = append(rec.Segments, seg)
	}
	return rec, nil
}

// Write streams the export to w as a ZIP file. A segment whose stored
// bytes no longer match their hash is written as stored and logged (the
// verifier names it); an error midway leaves w with an incomplete file.
func (x *Export) Write(ctx context.Context, w io.Writer) (evidence.Written, error) {
	out, err := evidence.Write(ctx, w, x.content)
	for _, d := range out.Damaged {
		x.svc.log.Error("exported a damaged segment", "recorder", d.Recorder, "seq", d.Seq, "segment", d.Key, "detail", d.Detail)
	}
	if err != nil {
		return out, fmt.Errorf("write export of session %d: %w", x.content.Session, err)
	}
	return out, nil
}

// auditEntries lists the audit entries of objects, in seq order, each
// once.
func (s *Service) auditEntries(ctx context.Context, objects []string) ([]audit.Entry, error) {
	seen := map[int64]bool{}
	var out []audit.Entry
	done := map[string]bool{}
	for _, o := range objects {
		if done[o] {
			continue
		}
		done[o] = true
		var after int64
		for {
			page, err := s.audit.List(ctx, audit.Filter{Object: o, AfterSeq: after})
			if err != nil {
				return nil, fmt.Errorf("audit entries of %s: %w", o, err)
			}
			for _, e := range page {
				if !seen[e.Seq] {
					seen[e.Seq] = true
					out = append(out, e)
				}
				after = e.Seq
			}
			if len(page) < 1000 {
				break
			}
		}
	}
	sortEntries(out)
	return out, nil
}

func sortEntries(es []audit.Entry) {
	sort.Slice(es, func(i, j int) bool { return es[i].Seq < es[j].Seq })
}

// exportDetail is the audit detail of an export.
func exportDetail(x *Export, sel Selection) map[string]any {
	recs := make([]map[string]any, 0, len(x.content.Recorders))
	for _, r := range x.content.Recorders {
		if n := len(r.Segments); n > 0 {
			recs = append(recs, map[string]any{"recorder_id": r.ID, "first_seq": r.Segments[0].Seq, "last_seq": r.Segments[n-1].Seq})
		}
	}
	return map[string]any{"session_id": sel.Session, "room_ids": sel.Rooms, "from": sel.From.UTC(), "to": sel.To.UTC(),
		"segments": x.Segments, "chain_only": x.ChainOnly, "bytes": x.Bytes, "recorders": recs, "file": x.FileName}
}
