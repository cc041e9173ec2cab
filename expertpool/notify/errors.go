package notify

import (
	"errors"
	"fmt"
)

// ErrBadSignature is returned by VerifySignature and CallbackVerifier for a
// signature header that is malformed, forged, too old or already used.
var ErrBadSignature = errors.New("notify: bad, expired or replayed signature")

// ErrMissingParam is returned by constructors when a required parameter is
// missing.
var ErrMissingParam = errors.New("notify: missing required parameter")

// ErrDone is returned by Sink.Claim when the message was already delivered
// or is dead: the worker acknowledges the stream entry and skips it.
var ErrDone = errors.New("notify: message already done")

// ErrBusy is returned by Sink.Claim when another worker holds the claim, or
// the message's next retry is not due yet: the worker acknowledges the
// stream entry and leaves the message to its holder (or to the Relay).
var ErrBusy = errors.New("notify: message claimed elsewhere or not due")

// PermanentError marks a delivery failure that retrying cannot fix (the
// gateway answered 4xx, or the message cannot be rendered). Workers
// dead-letter it at once.
type PermanentError struct {
	Err error
}

// Error returns the wrapped error's text.
func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// Permanentf formats an error and wraps it as a PermanentError.
func Permanentf(format string, args ...any) error {
	return &PermanentError{Err: fmt.Errorf(format, args...)}
}

// IsPermanent reports whether err is or wraps a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
