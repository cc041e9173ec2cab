package archive

import "errors"

var (
	// ErrBadKey is returned for a key that is not 64 lower-case hex digits.
	ErrBadKey = errors.New("archive: bad object key")
	// ErrHashMismatch is returned by Put when the bytes do not hash to the
	// key, and by AcceptManifest when the stored segment's size or hash
	// differs from the manifest's.
	ErrHashMismatch = errors.New("archive: content does not match its hash")
	// ErrNotFound is returned for an object the store does not hold, a
	// segment the index does not hold, and by Locate for an instant no
	// segment covers (a *GapError when a manifest recorded a gap there).
	ErrNotFound = errors.New("archive: not found")
	// ErrTooLarge is returned by Put for an object over the size limit.
	ErrTooLarge = errors.New("archive: object too large")
	// ErrInvalid is returned for a malformed manifest or request (bad
	// JSON, a rule broken, a manifest of another recorder or room) and
	// for missing Params.
	ErrInvalid = errors.New("archive: invalid")
	// ErrUnknownRecorder is returned for a recorder with no registered
	// key. A RecorderKeys implementation returns an error wrapping it.
	ErrUnknownRecorder = errors.New("archive: unknown recorder")
	// ErrBadSignature is returned by AcceptManifest for a manifest whose
	// signature does not verify with the recorder's registered key.
	ErrBadSignature = errors.New("archive: bad manifest signature")
	// ErrMissingSegment is returned by AcceptManifest when the store does
	// not hold the segment the manifest names: upload it first.
	ErrMissingSegment = errors.New("archive: segment not uploaded")
	// ErrBrokenChain is returned by AcceptManifest for a manifest that
	// does not continue its recorder's chain (a seq gap, a wrong previous
	// hash, a seq before the chain's first accepted one).
	ErrBrokenChain = errors.New("archive: broken chain")
	// ErrConflict is returned by AcceptManifest for a different manifest
	// for a seq already accepted (a fork), or for a segment another
	// manifest already indexes.
	ErrConflict = errors.New("archive: conflict")
)
