// Package ogg reads Ogg pages (RFC 3533) and the packets they carry, and
// the OpusHead header of an Ogg Opus stream (RFC 7845). Tests use it to
// take real Opus packets out of files that ffmpeg made; it reads a single
// logical stream and does not write.
package ogg
