// Package token mints and verifies the short-lived media access tokens
// that admit a participant to an evaluation session's media.
//
// A token is a JWT (RFC 7519) signed with HMAC-SHA256 under a key derived
// from the master key. It names the session, optionally one room, the
// venue, the holder's role and its grants (publish, subscribe, hidden,
// admin). The API mints tokens after login and role checks; the SFU
// verifies them and trusts nothing else. Supervisors are always hidden and
// can never publish: Mint refuses such a token and Verify rejects one.
//
// The package knows nothing of users, sessions in the database or HTTP.
package token
