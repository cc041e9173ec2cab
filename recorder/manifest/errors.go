package manifest

import "errors"

// ErrInvalid is returned for a manifest or parameter that breaks a rule
// (an unsafe segment name, a negative size, an end before the start, an
// unknown hash algorithm); the wrapping error says which.
var ErrInvalid = errors.New("manifest: invalid")

// ErrMalformed is returned by Parse for bytes that are not a manifest in
// the canonical format (bad JSON, unknown members, non-canonical values).
var ErrMalformed = errors.New("manifest: malformed")

// ErrBadSignature is returned by Verify when the signature is missing or
// does not verify with the key; a ChainVerifier's Break of kind
// BreakBadSignature wraps it.
var ErrBadSignature = errors.New("manifest: bad signature")

// ErrUnknownKey is wrapped by a Break of kind BreakUnknownKey: no public
// key is known for the manifest's recorder.
var ErrUnknownKey = errors.New("manifest: unknown recorder key")

// ErrSegmentHash is wrapped by a Break of kind BreakSegmentHash: the
// segment file's size or hash differs from the manifest.
var ErrSegmentHash = errors.New("manifest: segment hash mismatch")

// ErrSegmentMissing is wrapped by a Break of kind BreakSegmentMissing: the
// segment named by the manifest cannot be found. A Source's OpenSegment
// returns it (or fs.ErrNotExist) for a segment it does not hold.
var ErrSegmentMissing = errors.New("manifest: segment missing")

// ErrSeqGap is wrapped by a Break of kind BreakSeqGap: the manifest's seq
// is not the previous one's plus one (a dropped, duplicated or reordered
// manifest), or a chain that must start at genesis does not.
var ErrSeqGap = errors.New("manifest: sequence gap")

// ErrPrevMismatch is wrapped by a Break of kind BreakPrevMismatch: the
// manifest's prev hash is not the hash of the previous signed manifest.
var ErrPrevMismatch = errors.New("manifest: previous hash mismatch")

// ErrTimeBackwards is wrapped by a Break of kind BreakTimeBackwards: the
// segment starts before the previous segment of the same stream (same
// recorder and track names) ends, beyond the allowed slack.
var ErrTimeBackwards = errors.New("manifest: time goes backwards")

// ErrState is returned by OpenChain when the chain's state file exists but
// cannot be trusted (unreadable, another recorder's, or its last manifest
// does not verify with the key). The chain is not restarted silently.
var ErrState = errors.New("manifest: chain state unusable")

// ErrKeyExists is returned by WriteKeyPair when a key file already exists;
// a recorder key is never overwritten.
var ErrKeyExists = errors.New("manifest: key file exists")
