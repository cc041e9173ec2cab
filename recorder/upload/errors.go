package upload

import "errors"

// Errors of the uploader. The refusal and spool errors become the
// Status's Alarm; the others are passing faults, retried with backoff.
var (
	// ErrInvalid reports missing or wrong parameters, or a second Run.
	ErrInvalid = errors.New("upload: invalid parameters")
	// ErrRefused is a 4xx answer of the archive to a segment or manifest
	// (bad hash or signature, broken chain, unknown recorder, a token the
	// archive does not accept): retrying at once cannot help.
	ErrRefused = errors.New("upload: refused by the archive")
	// ErrDiverged means the archive's chain head is not a manifest of this
	// spool's chain (another hash at that seq, a seq the spool does not
	// hold, or behind what it acknowledged before): nothing is uploaded.
	ErrDiverged = errors.New("upload: chains diverged")
	// ErrSpool reports a spool that cannot be uploaded as it is: a
	// manifest missing from the sequence, two manifests for one seq, a
	// segment file missing that the archive does not hold either.
	ErrSpool = errors.New("upload: spool inconsistent")
)
