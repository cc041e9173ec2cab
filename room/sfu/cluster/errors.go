package cluster

import "errors"

// ErrMissingParam is returned by New when a required parameter is missing
// or a duration is not positive.
var ErrMissingParam = errors.New("cluster: missing or invalid parameter")

// ErrClosed is returned by Claim and SetLive after Close.
var ErrClosed = errors.New("cluster: closed")

// ErrBadSession is returned for an empty session or room id, or one holding
// characters that cannot be part of a Redis key we write (':' or spaces).
var ErrBadSession = errors.New("cluster: bad session or room id")

// ErrCorrupt is returned when a claim in Redis cannot be decoded.
var ErrCorrupt = errors.New("cluster: corrupt claim in redis")
