package room

import "errors"

// ErrMissingParam is returned by New when a required parameter is nil.
var ErrMissingParam = errors.New("room: missing required parameter")

// ErrInvalid is returned for input that breaks a rule (a bad field, a
// wrong identity number suffix, a member not on the venue's committee).
// The wrapping error says why in Chinese. Nothing was changed.
var ErrInvalid = errors.New("room: invalid input")

// ErrNotFound is returned when the session, room or fault asked for does
// not exist.
var ErrNotFound = errors.New("room: not found")

// ErrConflict is returned when the input collides with what is stored: a
// duplicate session reference, a seat already taken, a member already
// signed in, a recorder registered elsewhere, a room busy in another
// running session.
var ErrConflict = errors.New("room: conflict")

// ErrForbidden is returned when the actor may not act on this session or
// room (staff of another venue).
var ErrForbidden = errors.New("room: forbidden")

// ErrPhase is returned when the session's phase does not allow the
// operation (an illegal phase change, sign-in before sign-in opens, a
// device asking for a room with no running session).
var ErrPhase = errors.New("room: not allowed in this phase")

// ErrBadSignature is returned for a device-token request whose signature
// does not verify, whose timestamp is outside the allowed window or was
// already used, or whose recorder is not registered.
var ErrBadSignature = errors.New("room: bad device signature")

// ErrUnavailable is returned when a dependency that is optional in Params
// (MediaPresence) was not given.
var ErrUnavailable = errors.New("room: unavailable")
