package segment

import "errors"

// ErrMissingParam is returned by NewWriter when Dir, Recorder or Tracks
// is missing.
var ErrMissingParam = errors.New("segment: missing required parameter")

// ErrInvalidParam is returned by NewWriter for a recorder name that is
// not a safe file name part ([A-Za-z0-9_.-], starting with a letter or
// digit, at most 64 characters) or a track layout it cannot write (more
// than one video track, a codec fmp4 does not know).
var ErrInvalidParam = errors.New("segment: invalid parameter")

// ErrUnknownTrack is returned by WriteFrame for a track ID not in the
// layout.
var ErrUnknownTrack = errors.New("segment: unknown track")

// ErrEmptyFrame is returned by WriteFrame for a frame without data or
// without a timestamp.
var ErrEmptyFrame = errors.New("segment: empty frame")

// ErrNeedKeyframe is returned by WriteFrame for a frame that arrives when
// no segment is open (at the start, after a gap) and is not a video
// keyframe: a segment must start with one. The frame is dropped; the
// caller should ask its encoder for a keyframe.
var ErrNeedKeyframe = errors.New("segment: waiting for a keyframe")

// ErrLate is returned by WriteFrame for a frame whose time is not after
// the previous frame of its track, or before the open segment's start,
// once the reorder window has passed. The frame is dropped.
var ErrLate = errors.New("segment: frame out of order")

// ErrClosed is returned by WriteFrame and MarkGap after Close.
var ErrClosed = errors.New("segment: writer closed")
