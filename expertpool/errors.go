package expertpool

import "errors"

// ErrNotFound is returned when the expert, project, draw or member asked
// for does not exist.
var ErrNotFound = errors.New("expertpool: not found")

// ErrInvalid is returned for input that breaks a rule of the pool; the
// wrapping error says which field and why. Nothing was changed.
var ErrInvalid = errors.New("expertpool: invalid input")

// ErrConflict is returned when the input collides with what is stored
// (a duplicate ID number or project code, a double booking).
var ErrConflict = errors.New("expertpool: conflict")

// ErrQuotaUnfilled is returned by a draw when some quota has fewer eligible
// experts than it needs. Nothing is booked; the error carries a Funnel.
var ErrQuotaUnfilled = errors.New("expertpool: quota cannot be filled")

// ErrSealed is returned when sealed data is asked for before sign-in opens
// by someone who may not see it.
var ErrSealed = errors.New("expertpool: sealed until sign-in opens")

// ErrBadSignature is returned for a confirmation link or gateway callback
// whose signature is forged, whose time has expired, or which was already
// used.
var ErrBadSignature = errors.New("expertpool: bad or expired signature")

// ErrAnswerClosed is returned for an answer that comes after the member was
// released (late, declined, replaced) or after it was already answered.
var ErrAnswerClosed = errors.New("expertpool: answer no longer accepted")
