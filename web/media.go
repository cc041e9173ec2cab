package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/token"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// ICEServer is a STUN or TURN server handed to media clients (the
// RTCIceServer of WebRTC).
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Paths of the SFU as clients reach it through this server.
const (
	mediaWSPath   = "/media/ws"
	mediaWHIPPath = "/media/whip"
	mediaWHEPPath = "/media/whep"
)

// mediaTokenResponse is a minted media token and where to use it.
type mediaTokenResponse struct {
	Token      string       `json:"token"`
	ExpiresAt  time.Time    `json:"expires_at"`
	SessionID  string       `json:"session_id"`
	RoomID     string       `json:"room_id,omitempty"`
	Role       token.Role   `json:"role"`
	Grants     token.Grants `json:"grants"`
	WSURL      string       `json:"ws_url"`
	WHIPURL    string       `json:"whip_url"`
	WHEPURL    string       `json:"whep_url"`
	ICEServers []ICEServer  `json:"ice_servers"`
}

type mediaTokenRequest struct {
	// RoomID binds the token to one room of the session (0: none).
	RoomID int64 `json:"room_id"`
	// Publish asks to send media; nil means the role's default.
	Publish *bool `json:"publish"`
	// Display asks, for staff and admins, for the token of the room's
	// screen, which shows the other venues (subscribe only; RoomID required).
	Display bool `json:"display"`
}

var (
	errNoTokens = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "媒体令牌服务未启用"}
	errNoMedia  = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "媒体服务未启用"}
)

func forbidden(message string) error {
	return &requestError{status: http.StatusForbidden, code: "forbidden", message: message}
}

// mediaGrant decides the role, grants and venue of u's token for sess
// (and r when not zero), or returns why not.
func mediaGrant(u auth.User, sess room.Session, r room.Room, publish *bool, display bool) (token.Role, token.Grants, string, error) {
	wants := publish != nil && *publish
	venue := r.VenueCode
	if display {
		switch {
		case u.Role != auth.RoleAdmin && u.Role != auth.RoleStaff:
			return "", token.Grants{}, "", forbidden("只有工作人员可以为评标室大屏申请令牌")
		case r.ID == 0:
			return "", token.Grants{}, "", &requestError{status: http.StatusUnprocessableEntity, code: "invalid", message: "评标室大屏令牌必须指定评标室"}
		case u.Role == auth.RoleStaff && r.VenueCode != u.VenueCode:
			return "", token.Grants{}, "", forbidden("只能为本场地的评标室大屏申请令牌")
		case wants:
			return "", token.Grants{}, "", forbidden("评标室大屏只能观看，不能推流")
		}
		return token.RoleDisplay, token.Grants{Subscribe: true}, venue, nil
	}
	switch u.Role {
	case auth.RoleAdmin:
		return token.RoleAdmin, token.Grants{Publish: wants, Subscribe: true, Admin: true}, venue, nil
	case auth.RoleStaff:
		switch {
		case !sess.HasVenue(u.VenueCode):
			return "", token.Grants{}, "", forbidden("您所在的场地不参与本场评标")
		case r.ID != 0 && r.VenueCode != u.VenueCode:
			return "", token.Grants{}, "", forbidden("只能进入本场地的评标室")
		case wants:
			return "", token.Grants{}, "", forbidden("工作人员令牌只能观看和管理，不能推流")
		}
		return token.RoleStaff, token.Grants{Subscribe: true, Admin: true}, u.VenueCode, nil
	case auth.RoleEvaluator:
		if u.SessionRef == "" || u.SessionRef != sess.Ref {
			return "", token.Grants{}, "", forbidden("评标专家只能进入自己参加的评标")
		}
		return token.RoleEvaluator, token.Grants{Publish: publish == nil || *publish, Subscribe: true}, venue, nil
	case auth.RoleSupervisor:
		if wants {
			return "", token.Grants{}, "", forbidden("监督人员只能隐身观看，不能推流")
		}
		return token.RoleSupervisor, token.Grants{Subscribe: true, Hidden: true}, venue, nil
	}
	return "", token.Grants{}, "", forbidden("您的角色不能进入评标音视频")
}

// mediaToken mints a media token for the logged-in user after the role
// checks of mediaGrant; every mint is audited.
func (s *Server) mediaToken(c *gin.Context) {
	if s.p.Tokens == nil {
		s.writeError(c, errNoTokens)
		return
	}
	var req mediaTokenRequest
	if err := bindOptionalJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	u := me(c)
	if u.Role == auth.RoleArchivist {
		s.writeError(c, forbidden("档案管理员不能进入实时音视频"))
		return
	}
	sess, ok := s.readableSession(c)
	if !ok {
		return
	}
	if sess.Phase.Final() {
		s.writeError(c, &requestError{status: http.StatusConflict, code: "phase", message: "评标已" + sess.Phase.Label() + "，不再提供实时音视频"})
		return
	}
	var r room.Room
	if req.RoomID != 0 {
		if r, ok = sess.Room(req.RoomID); !ok {
			s.writeError(c, &requestError{status: http.StatusUnprocessableEntity, code: "invalid", message: "评标室不属于本场评标"})
			return
		}
	}
	role, grants, venue, err := mediaGrant(u, sess, r, req.Publish, req.Display)
	if err != nil {
		s.writeError(c, err)
		return
	}
	name := u.DisplayName
	if name == "" {
		name = u.Username
	}
	s.mint(c, sess.ID, token.Claims{Subject: u.Actor(), Name: name, Session: sess.IDString(), Room: roomIDString(r),
		Venue: venue, Role: role, Grants: grants})
}

func roomIDString(r room.Room) string {
	if r.ID == 0 {
		return ""
	}
	return strconv.FormatInt(r.ID, 10)
}

// mint signs claims, audits the grant and answers with the token.
func (s *Server) mint(c *gin.Context, sessionID int64, claims token.Claims) {
	tok, got, err := s.p.Tokens.Mint(claims)
	if err != nil {
		s.writeError(c, err)
		return
	}
	rec := room.MediaGrantRecord{Actor: got.Subject, Role: string(got.Role), RoomID: got.Room, Venue: got.Venue, TokenID: got.ID,
		Publish: got.Grants.Publish, Subscribe: got.Grants.Subscribe, Hidden: got.Grants.Hidden, Admin: got.Grants.Admin, Expires: got.Expires}
	if err := s.p.Sessions.RecordMediaGrant(c.Request.Context(), sessionID, rec); err != nil {
		s.writeError(c, err)
		return
	}
	ice := s.p.ICEServers
	if ice == nil {
		ice = []ICEServer{}
	}
	c.JSON(http.StatusOK, mediaTokenResponse{Token: tok, ExpiresAt: got.Expires, SessionID: got.Session, RoomID: got.Room,
		Role: got.Role, Grants: got.Grants, WSURL: mediaWSPath, WHIPURL: mediaWHIPPath, WHEPURL: mediaWHEPPath, ICEServers: ice})
}

// mediaRoutes mounts the SFU (Params.Media) under /media with the prefix
// stripped. The SFU authenticates by media token, not by cookie; without
// Media every path answers 503.
func (s *Server) mediaRoutes(e *gin.Engine) {
	h := func(c *gin.Context) { s.writeError(c, errNoMedia) }
	if s.p.Media != nil {
		h = gin.WrapH(http.StripPrefix("/media", s.p.Media))
	}
	e.GET(mediaWSPath, h)
	for _, p := range []string{mediaWHIPPath, mediaWHEPPath} {
		e.POST(p, h)
		e.PATCH(p+"/:id", h)
		e.DELETE(p+"/:id", h)
	}
}

var errNoArchiveUpload = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "录像归档服务未启用"}

// archiveRoutes mounts the archive's upload handler (Params.ArchiveUpload)
// under /archive with the prefix stripped. Recorders authenticate by
// device token, not by cookie.
func (s *Server) archiveRoutes(e *gin.Engine) {
	h := func(c *gin.Context) { s.writeError(c, errNoArchiveUpload) }
	if s.p.ArchiveUpload != nil {
		h = gin.WrapH(http.StripPrefix("/archive", s.p.ArchiveUpload))
	}
	e.PUT("/archive/segments/:hash", h)
	e.HEAD("/archive/segments/:hash", h)
	e.POST("/archive/manifests", h)
	e.GET("/archive/chain", h)
}
