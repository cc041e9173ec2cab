package devauth

import (
	"fmt"
	"net/url"
	"time"
)

// Grant is a device token and where to use it.
type Grant struct {
	// Token is the media token, sent as "Authorization: Bearer <Token>"
	// to the SFU's WHIP endpoint and the archive upload API.
	Token string
	// ExpiresAt is when the server stops accepting Token.
	ExpiresAt time.Time
	// SessionID and RoomID are the session and room the token is bound
	// to (SessionID is empty for an upload-only token outside a session).
	SessionID, RoomID string
	// Publish says whether the token allows publishing live media.
	Publish bool
	// WHIPURL is the absolute URL of the WHIP endpoint (RFC 9725),
	// resolved against Params.BaseURL; empty when the server names none.
	WHIPURL string
	// ICEServers are the STUN and TURN servers to use for WebRTC.
	ICEServers []ICEServer
}

// ICEServer is a STUN or TURN server (the RTCIceServer of WebRTC).
type ICEServer struct {
	URLs                 []string
	Username, Credential string
}

// tokenResponse is the server's answer (web's mediaTokenResponse).
type tokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	SessionID string    `json:"session_id"`
	RoomID    string    `json:"room_id"`
	Role      string    `json:"role"`
	Grants    struct {
		Publish bool `json:"pub"`
	} `json:"grants"`
	WHIPURL    string `json:"whip_url"`
	ICEServers []struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username"`
		Credential string   `json:"credential"`
	} `json:"ice_servers"`
}

// grant turns the answer into a Grant, resolving the WHIP URL against
// base.
func (r tokenResponse) grant(base *url.URL) (Grant, error) {
	if r.Token == "" || r.ExpiresAt.IsZero() {
		return Grant{}, fmt.Errorf("%w: answer without token or expiry", ErrUnavailable)
	}
	g := Grant{Token: r.Token, ExpiresAt: r.ExpiresAt.UTC(), SessionID: r.SessionID, RoomID: r.RoomID,
		Publish: r.Grants.Publish}
	if r.WHIPURL != "" {
		u, err := base.Parse(r.WHIPURL)
		if err != nil {
			return Grant{}, fmt.Errorf("%w: WHIP URL %q: %v", ErrUnavailable, r.WHIPURL, err)
		}
		g.WHIPURL = u.String()
	}
	for _, s := range r.ICEServers {
		g.ICEServers = append(g.ICEServers, ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return g, nil
}
