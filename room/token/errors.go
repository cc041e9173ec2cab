package token

import "errors"

var (
	// ErrInvalid is returned for a malformed, forged or inconsistent token,
	// and by Mint for claims that must not be granted.
	ErrInvalid = errors.New("token: invalid")
	// ErrExpired is returned for a token past its expiry (or not yet valid).
	ErrExpired = errors.New("token: expired")
)
