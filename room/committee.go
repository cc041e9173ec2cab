package room

import "context"

// Committee is what room needs of the expert pool; cmd wires it to
// *expertpool.Service. room never sees the pool's tables or types.
type Committee interface {
	// Members returns the committee members drawn for venue (every venue
	// when venue is empty) by draw drawID, once the list may be revealed;
	// each call is a disclosure audited by the pool under actor. Errors:
	// ErrNotFound (draw or venue), ErrPhase (still sealed).
	Members(ctx context.Context, actor string, drawID int64, venue string) ([]Member, error)
	// CheckIdentity reports whether idSuffix (the last 4–6 characters of
	// an identity number) matches the member's stored identity number.
	// Errors: ErrNotFound (member), ErrInvalid (malformed suffix).
	CheckIdentity(ctx context.Context, memberID int64, idSuffix string) (bool, error)
	// RecuseOnSite marks the member recused for a conflict found on site,
	// releases their booking and draws a replacement. Errors: ErrInvalid
	// (no reason), ErrNotFound, ErrConflict (no longer on the committee).
	RecuseOnSite(ctx context.Context, actor string, memberID int64, reason string) (Replacement, error)
}

// Member is one committee member as sign-in sees them.
type Member struct {
	MemberID       int64  `json:"member_id"`
	VenueCode      string `json:"venue_code"`
	Name           string `json:"name"`
	IDNumberMasked string `json:"id_number_masked"`
	// State is the pool's member state: notified, confirmed, declined,
	// no_answer or recused.
	State string `json:"state"`
	// SeatReady is true for a confirmed member, who may sign in.
	SeatReady bool `json:"seat_ready"`
	// Replacement is true for a member drawn in place of a released one.
	Replacement bool `json:"replacement"`
}

// Replacement is the outcome of an on-site recusal.
type Replacement struct {
	// MemberID is the member drawn in place of the recused one; 0 when no
	// candidate was left.
	MemberID int64 `json:"member_id,omitempty"`
	// Notice is the pool's Chinese message for staff.
	Notice string `json:"notice"`
}

// MediaPresence tells which rooms of a session have a live recorder (a
// device publishing video); cmd wires it to the SFU's Redis presence so
// any node can tell.
type MediaPresence interface {
	// LiveRooms returns the ids (decimal) of the session's rooms whose
	// recorder is live; session is the session id in decimal.
	LiveRooms(ctx context.Context, session string) ([]string, error)
}
