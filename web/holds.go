package web

import (
	"context"
	"net/http"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/gin-gonic/gin"
)

// Holds is what the API needs for legal holds (法律保全) on a session's
// recordings; cmd adapts the archive and checks the session. Errors are
// the room sentinels: room.ErrNotFound (no such session, or no such hold
// of it), room.ErrInvalid (no reason, a room not in the session),
// room.ErrConflict (a hold already released).
type Holds interface {
	// PlaceHold places a hold on the session's recordings (in.Room's
	// only, when set) by actor, audited.
	PlaceHold(ctx context.Context, actor string, sessionID int64, in archive.HoldInput) (archive.Hold, error)
	// ReleaseHold releases the session's hold holdID by actor for
	// reason, audited.
	ReleaseHold(ctx context.Context, actor string, sessionID, holdID int64, reason string) (archive.Hold, error)
	// ListHolds lists the session's holds, active and released.
	ListHolds(ctx context.Context, sessionID int64) ([]archive.Hold, error)
}

var errNoHolds = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "法律保全服务未启用"}

// holdRoutes registers the legal-hold routes: admins and archivists place
// and release holds; supervisors may also read them.
func (s *Server) holdRoutes(in *gin.RouterGroup) {
	in.GET("/sessions/:id/archive/holds", s.requireRole(archiveViewers...), s.listHolds)
	in.POST("/sessions/:id/archive/holds", s.requireRole(archiveKeepers...), s.placeHold)
	in.DELETE("/sessions/:id/archive/holds/:hold_id", s.requireRole(archiveKeepers...), s.releaseHold)
}

// holdsOf is the list answer.
type holdsOf struct {
	Holds []archive.Hold `json:"holds"`
}

func (s *Server) listHolds(c *gin.Context) {
	if s.p.Holds == nil {
		s.writeError(c, errNoHolds)
		return
	}
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	hs, err := s.p.Holds.ListHolds(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, holdsOf{Holds: hs})
}

func (s *Server) placeHold(c *gin.Context) {
	if s.p.Holds == nil {
		s.writeError(c, errNoHolds)
		return
	}
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var in archive.HoldInput
	if err := bindJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	h, err := s.p.Holds.PlaceHold(c.Request.Context(), me(c).Actor(), id, in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, h)
}

// releaseBody is the body of a release: why.
type releaseBody struct {
	Reason string `json:"reason"`
}

func (s *Server) releaseHold(c *gin.Context) {
	if s.p.Holds == nil {
		s.writeError(c, errNoHolds)
		return
	}
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	holdID, err := pathID(c, "hold_id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var in releaseBody
	if err := bindJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	h, err := s.p.Holds.ReleaseHold(c.Request.Context(), me(c).Actor(), id, holdID, in.Reason)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}
