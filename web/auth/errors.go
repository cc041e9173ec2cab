package auth

import "errors"

// ErrInvalid is returned for user input that breaks a rule (unknown role,
// short password, missing venue); the wrapping error says which field in
// Chinese. Nothing was changed.
var ErrInvalid = errors.New("auth: invalid input")

// ErrNotFound is returned when the user asked for does not exist.
var ErrNotFound = errors.New("auth: not found")

// ErrConflict is returned when a username is already taken.
var ErrConflict = errors.New("auth: conflict")

// ErrBadCredentials is returned by Login for an unknown user, a wrong
// password or a disabled account, without saying which.
var ErrBadCredentials = errors.New("auth: bad credentials")

// ErrUnauthenticated is returned by Authenticate for a missing, unknown or
// expired session token, or one whose user was disabled.
var ErrUnauthenticated = errors.New("auth: not logged in")

// ErrForbidden is returned when a logged-in user lacks the role for an
// action.
var ErrForbidden = errors.New("auth: forbidden")

// ErrRateLimited is returned by Login when too many recent attempts for the
// username or client address failed.
var ErrRateLimited = errors.New("auth: too many failed logins")
