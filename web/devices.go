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

// deviceToken mints a publish-only device token for a registered edge
// recorder whose signature verifies, bound to its room's running session.
// It needs no login: the recorder's key is its credential.
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
	s.mint(c, g.Session.ID, token.Claims{Subject: "device:" + g.RecorderID, Name: g.Room.Name, Session: g.Session.IDString(),
		Room: g.Room.IDString(), Venue: g.Room.VenueCode, Role: token.RoleDevice, Grants: token.Grants{Publish: true}})
}
