// Package devauth is the edge recorder's client for device tokens: it
// asks evalroomd (POST /api/devices/token) for a short-lived media token
// by signing "evalroom-device-token\n<recorder id>\n<timestamp>" with the
// recorder's Ed25519 key, the key registered for it at the server
// (`evalroomctl recorder register`).
//
// A Client caches the grant and asks again once four fifths of its
// lifetime have passed (Token), or at once after Invalidate. Requests are
// serialised and every one signs a fresh timestamp, strictly later than
// the previous one, because the server refuses a timestamp it has seen
// (replay) and one that stands further than its skew allowance from its
// own clock: Params.Now must be the recorder's corrected clock
// (media/clock's Sync.Now), not the host's.
//
// Inside a running session the grant allows publishing (Grant.Publish)
// and names the session's WHIP endpoint; outside one the server either
// refuses (409, ErrNoSession) or grants an upload-only token
// (Publish false). Token returns whatever the server granted (the
// uploader can use either); PublishGrant, for the live path, answers
// ErrNoSession for an upload-only grant and drops it from the cache, so
// that the next attempt asks the server again.
//
// The package knows the wire format only: it does not import room or web
// (the message format is copied from room.DeviceMessage and pinned by a
// test), and it never prints.
package devauth
