package token

import (
	"fmt"
	"time"
)

// Role is the part a token's holder plays in a media session.
type Role string

// The roles a media token can carry.
const (
	// RoleAdmin may do everything.
	RoleAdmin Role = "admin"
	// RoleStaff runs a venue's rooms: subscribes and controls.
	RoleStaff Role = "staff"
	// RoleEvaluator sits in a room: may publish a camera or screen and subscribes.
	RoleEvaluator Role = "evaluator"
	// RoleSupervisor watches unseen: subscribes only, always hidden.
	RoleSupervisor Role = "supervisor"
	// RoleDisplay is a room's screen showing the other venues.
	RoleDisplay Role = "display"
	// RoleDevice is an edge recorder publishing its room's cameras and microphones.
	RoleDevice Role = "device"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleStaff, RoleEvaluator, RoleSupervisor, RoleDisplay, RoleDevice:
		return true
	}
	return false
}

// Grants says what the holder may do.
type Grants struct {
	// Publish allows sending tracks.
	Publish bool `json:"pub,omitempty"`
	// Subscribe allows receiving tracks.
	Subscribe bool `json:"sub,omitempty"`
	// Hidden keeps the holder out of every participant list and event.
	Hidden bool `json:"hid,omitempty"`
	// Admin allows controlling other participants.
	Admin bool `json:"adm,omitempty"`
}

// Claims is what a token asserts.
type Claims struct {
	// Subject is who holds it: "user:7" or "device:<recorder id>".
	Subject string
	// Name is the display name.
	Name string
	// Session is the evaluation session's id; "" only in an upload-only
	// device token (see UploadOnly).
	Session string
	// Room is the room's id, or "" when the token is not bound to one room.
	Room string
	// Venue is the venue code, or "".
	Venue string
	// Role is the holder's role.
	Role Role
	// Grants are the holder's permissions.
	Grants Grants
	// ID is the token's unique id (jti), set by Mint.
	ID string
	// IssuedAt and Expires bound the token's life, set by Mint.
	IssuedAt, Expires time.Time
}

// UploadOnly reports whether c is a device's upload-only token: role
// device, no session and no grants. The archive's upload API accepts it
// (it needs only the device role and subject); the SFU admits nobody
// without a session or a grant, so it cannot publish. It is what a
// recorder gets when its room runs no session, to upload what it
// archived.
func (c Claims) UploadOnly() bool {
	return c.Role == RoleDevice && c.Session == "" && c.Grants == (Grants{})
}

// check refuses claims that must never be granted.
func (c Claims) check() error {
	switch {
	case c.Subject == "":
		return fmt.Errorf("%w: no subject", ErrInvalid)
	case c.Session == "" && !c.UploadOnly():
		return fmt.Errorf("%w: no session", ErrInvalid)
	case !c.Role.Valid():
		return fmt.Errorf("%w: unknown role %q", ErrInvalid, c.Role)
	case c.Role == RoleSupervisor && (c.Grants.Publish || !c.Grants.Hidden):
		return fmt.Errorf("%w: a supervisor is hidden and never publishes", ErrInvalid)
	case c.Role == RoleDevice && c.Room == "":
		return fmt.Errorf("%w: a device token names its room", ErrInvalid)
	case c.Grants.Hidden && c.Grants.Publish:
		return fmt.Errorf("%w: a hidden participant cannot publish", ErrInvalid)
	}
	return nil
}
