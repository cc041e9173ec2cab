package archive

import "errors"

var (
	// ErrBadKey is returned for a key that is not 64 lower-case hex digits.
	ErrBadKey = errors.New("archive: bad object key")
	// ErrHashMismatch is returned by Put when the bytes do not hash to the key.
	ErrHashMismatch = errors.New("archive: content does not match its hash")
	// ErrNotFound is returned for an object the store does not hold.
	ErrNotFound = errors.New("archive: not found")
	// ErrTooLarge is returned by Put for an object over the size limit.
	ErrTooLarge = errors.New("archive: object too large")
)
