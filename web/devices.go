package web

import (
	"github.com/evalroom/evalroom/room/token"
	"github.com/gin-gonic/gin"
)

// deviceTokenRequest is an edge recorder's signed request.
type deviceTokenRequest struct {
	RecorderID string `json:"recorder_id"`
	// Timestamp is RFC 3339, exactly as signed.
	Timestamp string `json:"timestamp"`
	// Signature is the base64 Ed25519 signature of
	// "evalroom-device-token\n<recorder_id>\n<timestamp>".
	Signature []byte `json:"signature"`
}

// deviceToken mints a device token for a registered edge recorder whose
// signature verifies. While its room runs a session the token is bound to
// that session with the publish grant (live media and archive upload);
// when the room runs none it names the room but no session and carries no
// grant: the archive upload API accepts it, the media server does not, so
// a recorder can still upload what it archived after a session ended. It
// needs no login: the recorder's key is its credential.
func (s *Server) deviceToken(c *gin.Context) {
	if s.p.Sessions == nil {
		s.writeError(c, errNoSessions)
		return
	}
	if s.p.Tokens == nil {
		s.writeError(c, errNoTokens)
		return
	}
	var req deviceTokenRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	g, err := s.p.Sessions.GrantDevice(c.Request.Context(), req.RecorderID, req.Timestamp, req.Signature)
	if err != nil {
		s.writeError(c, err)
		return
	}
	claims := token.Claims{Subject: "device:" + g.RecorderID, Name: g.Room.Name, Room: g.Room.IDString(),
		Venue: g.Room.VenueCode, Role: token.RoleDevice}
	if !g.UploadOnly() {
		claims.Session, claims.Grants = g.Session.IDString(), token.Grants{Publish: true}
	}
	s.mint(c, g.Session.ID, claims)
}
