package devauth

import "errors"

// ErrMissingParam is returned by New when BaseURL, RecorderID or Key is
// missing.
var ErrMissingParam = errors.New("devauth: missing required parameter")

// ErrInvalidParam is returned by New for a BaseURL that is not an
// absolute http(s) URL or a key of the wrong size.
var ErrInvalidParam = errors.New("devauth: invalid parameter")

// ErrNoSession is returned by Token when the server answers 409: the
// recorder's room runs no session now, so there is nothing to publish
// into. Ask again later.
var ErrNoSession = errors.New("devauth: the room has no running session")

// ErrRejected is returned by Token when the server refuses the request
// (400, 401, 403, 422): an unregistered recorder, a bad signature, a
// timestamp too far from the server's clock or already used. The error
// text carries the server's (Chinese) message.
var ErrRejected = errors.New("devauth: device token refused")

// ErrUnavailable is returned by Token for any other answer of the server
// (5xx, an unexpected status, a body that is not a grant).
var ErrUnavailable = errors.New("devauth: token service unavailable")
