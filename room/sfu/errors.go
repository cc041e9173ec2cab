package sfu

import "errors"

var (
	// ErrMissingParam is returned by New when a required Params field is
	// unset.
	ErrMissingParam = errors.New("sfu: missing parameter")
	// ErrClosed is returned once the server has been closed.
	ErrClosed = errors.New("sfu: server closed")
	// ErrTooLarge is returned by Decode for a signaling message over
	// MaxMessageSize bytes.
	ErrTooLarge = errors.New("sfu: message too large")
	// ErrMalformed is returned by Decode for a message that is not a JSON
	// object of the expected shape, or that lacks a field its type needs.
	ErrMalformed = errors.New("sfu: malformed message")
	// ErrUnknownType is returned by Decode for a message whose type is not
	// part of the protocol.
	ErrUnknownType = errors.New("sfu: unknown message type")
	// ErrForbidden is returned when a participant asks for something its
	// token does not grant (publishing without the grant, another session).
	ErrForbidden = errors.New("sfu: forbidden")
	// ErrBadSDP is returned for an offer or answer that cannot be parsed or
	// applied.
	ErrBadSDP = errors.New("sfu: bad session description")
	// ErrBadCandidate is returned for an ICE candidate that cannot be
	// parsed or that belongs to another ICE session.
	ErrBadCandidate = errors.New("sfu: bad ICE candidate")
	// ErrProtocol is returned for a message that is valid alone but not at
	// this point of the conversation (an answer nobody asked for).
	ErrProtocol = errors.New("sfu: protocol violation")
	// ErrAudit is returned when the audit log refuses a join, which is
	// then refused too.
	ErrAudit = errors.New("sfu: audit failed")
	// ErrNotFound is returned for an unknown track, participant or
	// WHIP/WHEP resource.
	ErrNotFound = errors.New("sfu: not found")
)
