package web

import (
	"context"
	"net/http"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// RoomMuter mutes a room's audio toward the other rooms of its session
// (*sfu.Server satisfies it; the state is shared by every node).
type RoomMuter interface {
	// SetRoomMuted mutes or unmutes room of session for actor and audits
	// it; it fails when the change cannot be stored or audited.
	SetRoomMuted(ctx context.Context, actor, session, room string, muted bool) error
	// MutedRooms returns the muted rooms of session.
	MutedRooms(ctx context.Context, session string) ([]string, error)
}

var errNoMutes = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "评标室静音服务未启用"}

// roomMute is one room's mute state: whether the other rooms of the
// session hear its audio.
type roomMute struct {
	RoomID    int64  `json:"room_id"`
	RoomName  string `json:"room_name"`
	VenueCode string `json:"venue_code"`
	// Muted: the room's audio reaches only its own room, the supervisors,
	// admins and its venue's staff.
	Muted bool `json:"muted"`
}

type muteRequest struct {
	Muted *bool `json:"muted"`
}

// muteRoom mutes or unmutes a room's audio toward the other venues:
// staff of the room's venue and admins.
func (s *Server) muteRoom(c *gin.Context) {
	if s.p.Mutes == nil {
		s.writeError(c, errNoMutes)
		return
	}
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	roomID, err := pathID(c, "room_id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req muteRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	r, found := sess.Room(roomID)
	switch u := me(c); {
	case !found:
		s.writeError(c, &requestError{status: http.StatusNotFound, code: "not_found", message: "评标室不属于本场评标"})
		return
	case u.Role == auth.RoleStaff && r.VenueCode != u.VenueCode:
		s.writeError(c, forbidden("只能为本场地的评标室静音或取消静音"))
		return
	case req.Muted == nil:
		s.writeError(c, fieldInvalid("muted", "请说明是否静音（muted 为 true 或 false）"))
		return
	}
	ctx := c.Request.Context()
	if err := s.p.Mutes.SetRoomMuted(ctx, me(c).Actor(), sess.IDString(), r.IDString(), *req.Muted); err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, roomMute{RoomID: r.ID, RoomName: r.Name, VenueCode: r.VenueCode, Muted: *req.Muted})
}

// listMutes tells, for every room of the session, whether its audio is
// muted toward the other venues.
func (s *Server) listMutes(c *gin.Context) {
	if s.p.Mutes == nil {
		s.writeError(c, errNoMutes)
		return
	}
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	muted, err := s.p.Mutes.MutedRooms(c.Request.Context(), sess.IDString())
	if err != nil {
		s.writeError(c, err)
		return
	}
	writeList(c, mutesOf(sess, muted), len(sess.Rooms))
}

// mutesOf lists the session's rooms with their mute state.
func mutesOf(sess room.Session, muted []string) []roomMute {
	set := make(map[string]bool, len(muted))
	for _, r := range muted {
		set[r] = true
	}
	out := make([]roomMute, 0, len(sess.Rooms))
	for _, r := range sess.Rooms {
		out = append(out, roomMute{RoomID: r.ID, RoomName: r.Name, VenueCode: r.VenueCode, Muted: set[r.IDString()]})
	}
	return out
}
