package web

import (
	"context"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// Evidence is what the API needs of the central archive for a session's
// evidence; cmd adapts the archive and the session's records. Errors are
// the room sentinels: room.ErrNotFound (no such session, nothing
// recorded), room.ErrConflict (the store lost a segment the index
// holds), room.ErrInvalid.
type Evidence interface {
	// ExportSession gathers the session's evidence export for actor and
	// audits the request; nothing is written yet.
	ExportSession(ctx context.Context, actor string, sessionID int64) (EvidenceExport, error)
	// VerifySession checks the session's archived segments again,
	// records each one's outcome and audits the summary.
	VerifySession(ctx context.Context, actor string, sessionID int64) (archive.VerifyReport, error)
	// OpenSegment opens an archived segment (by its content hash) for
	// actor to play, and audits the view; byteRange is the request's
	// Range header, recorded with it.
	OpenSegment(ctx context.Context, actor, hash, byteRange string) (SegmentFile, error)
}

// SegmentFile is an archived segment opened for playback.
type SegmentFile struct {
	// Content is the segment's bytes; the handler closes it.
	Content io.ReadSeekCloser
	// Name is the segment's file name; Start its first instant (UTC).
	Name  string
	Start time.Time
}

// EvidenceExport is a prepared evidence export (a ZIP file).
type EvidenceExport interface {
	// FileName names the download.
	FileName() string
	// Write streams the file to w.
	Write(ctx context.Context, w io.Writer) error
}

// archiveKeepers may export and verify a session's evidence.
var archiveKeepers = []auth.Role{auth.RoleAdmin, auth.RoleArchivist}

// archiveViewers may play archived segments.
var archiveViewers = []auth.Role{auth.RoleAdmin, auth.RoleArchivist, auth.RoleSupervisor}

// playSegment serves an archived segment for playback with HTTP range
// requests (players fetch what they show); each request is audited as
// archive.view with its range.
func (s *Server) playSegment(c *gin.Context) {
	if s.p.Evidence == nil {
		s.writeError(c, errNoEvidence)
		return
	}
	f, err := s.p.Evidence.OpenSegment(c.Request.Context(), me(c).Actor(), c.Param("hash"), c.GetHeader("Range"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	defer f.Content.Close()
	c.Header("Content-Type", "video/mp4")
	c.Header("Cache-Control", "private, no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Writer, c.Request, f.Name, f.Start, f.Content)
}

var errNoEvidence = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "录像证据服务未启用"}

// exportEvidence streams a session's evidence export: a ZIP file with the
// recordings, manifests, chain slices, keys, scoring records and audit
// entries, verifiable offline with `evalroomctl archive verify`. Errors
// before the first byte are JSON; a failure while streaming aborts the
// connection, so the client never takes a truncated file for a whole one.
func (s *Server) exportEvidence(c *gin.Context) {
	if s.p.Evidence == nil {
		s.writeError(c, errNoEvidence)
		return
	}
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	x, err := s.p.Evidence.ExportSession(c.Request.Context(), me(c).Actor(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": x.FileName()}))
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	if err := x.Write(c.Request.Context(), c.Writer); err != nil {
		s.log.ErrorContext(c.Request.Context(), "evidence export failed while streaming", "session", id, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// verifyEvidence checks a session's archived segments again and answers
// the summary (200 whether or not every link holds: see ok and
// first_broken).
func (s *Server) verifyEvidence(c *gin.Context) {
	if s.p.Evidence == nil {
		s.writeError(c, errNoEvidence)
		return
	}
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	rep, err := s.p.Evidence.VerifySession(c.Request.Context(), me(c).Actor(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
