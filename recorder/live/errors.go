package live

import "errors"

// ErrMissingParam is returned by New when Tracks or Endpoint is missing.
var ErrMissingParam = errors.New("live: missing required parameter")

// ErrInvalidParam is returned by New for a track without an ID, a
// duplicate track ID, a codec the publisher cannot send, or a negative
// queue length or backoff.
var ErrInvalidParam = errors.New("live: invalid parameter")

// ErrRunning is returned by Run when the publisher is already running.
var ErrRunning = errors.New("live: publisher already running")

// ErrUnauthorized is the error of a connection attempt the WHIP
// endpoint refused with 401 or 403 (a missing, expired or revoked token,
// or one without the publish grant). It reaches the caller through
// Status.LastError; the Endpoint function should fetch a new token.
var ErrUnauthorized = errors.New("live: WHIP endpoint refused the token")

// ErrRefused is the error of a connection attempt the WHIP endpoint
// answered with another status than 201 Created (or a 201 without an
// answer or Location).
var ErrRefused = errors.New("live: WHIP endpoint refused the offer")

// ErrConnectionLost is the error of a connection that failed (ICE or
// DTLS failed), closed, or stayed disconnected for more than 5 s.
var ErrConnectionLost = errors.New("live: connection lost")

// ErrConnectTimeout is the error of a connection attempt that did not
// reach the connected state in time.
var ErrConnectTimeout = errors.New("live: connection not established in time")
