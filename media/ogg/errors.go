package ogg

import "errors"

// ErrBadPage is returned for bytes that are not an Ogg page: a wrong
// capture pattern, version or checksum.
var ErrBadPage = errors.New("ogg: bad page")

// ErrNotOpusHead is returned by ParseOpusHead for a packet that is not an
// OpusHead header.
var ErrNotOpusHead = errors.New("ogg: not an OpusHead packet")
