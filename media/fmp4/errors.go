package fmp4

import "errors"

// ErrInvalidTrack is returned by NewWriter for a track that cannot be
// described: a zero or repeated ID, an unknown kind or codec, a missing
// SPS/PPS, a VP8 track without its size, a zero timescale.
var ErrInvalidTrack = errors.New("fmp4: invalid track")

// ErrInvalidSample is returned by WriteFragment for a fragment that names
// an unknown track, holds no samples, or is otherwise malformed.
var ErrInvalidSample = errors.New("fmp4: invalid sample")

// ErrBadSPS is returned when an H.264 sequence parameter set cannot be
// parsed.
var ErrBadSPS = errors.New("fmp4: bad H.264 SPS")

// ErrBadVP8 is returned when the header of a VP8 frame cannot be parsed.
var ErrBadVP8 = errors.New("fmp4: bad VP8 frame header")

// ErrTruncated is returned by Scan when the file ends before its header
// (ftyp and moov) is complete: no fragment can be read from it.
var ErrTruncated = errors.New("fmp4: file truncated before its header ends")

// ErrMalformed is returned by Scan for a box that cannot be parsed (a
// size smaller than its header, a box where another was expected).
var ErrMalformed = errors.New("fmp4: malformed box")
