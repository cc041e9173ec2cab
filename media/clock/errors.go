package clock

import "errors"

// ErrMissingParam is returned by constructors when a required argument is
// nil or empty.
var ErrMissingParam = errors.New("clock: missing required parameter")

// ErrInvalid is returned for an option or argument out of range.
var ErrInvalid = errors.New("clock: invalid argument")

// ErrNoEstimate is returned by Sync.Estimate before any exchange has
// succeeded.
var ErrNoEstimate = errors.New("clock: no offset measured yet")

// ErrBadSample is returned for an exchange whose timestamps cannot be
// right: the server answered before it received (t3 < t2), the round
// trip is shorter than the server's own processing (negative delay), or
// the answer is for another request.
var ErrBadSample = errors.New("clock: inconsistent exchange timestamps")

// ErrClosed is returned by Sync.Measure after Close.
var ErrClosed = errors.New("clock: sync closed")
