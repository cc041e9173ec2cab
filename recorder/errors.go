package recorder

import "errors"

// Errors returned by the recorder.
var (
	// ErrInvalid reports missing or wrong parameters.
	ErrInvalid = errors.New("recorder: invalid parameters")
)
