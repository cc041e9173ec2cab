// Package archive is the central archive: the store of uploaded segments
// addressed by content hash, and its index in PostgreSQL (schema
// archive) answering "which segment, at which offset, covers room R at
// instant T".
//
// The store never trusts a name: an object's key is the hex SHA-256 of
// its bytes, computed while it is written, and a Put whose bytes do not
// hash to the key stores nothing. Objects are immutable; writing one that
// exists is a no-op. The file-system store is the default; an
// S3-compatible store is for production.
//
// # Index
//
// A recorder uploads a segment's bytes first (Service.PutSegment; the
// blob is then pending, known only to the store), then its signed
// manifest (Service.AcceptManifest). A manifest is accepted only when its
// recorder is the authenticated one and registered (RecorderKeys), the
// Ed25519 signature verifies with the registered key, the stored bytes
// hash again to the manifest's size and hash, and it continues the
// recorder's chain head (seq + 1, prev_hash = the head's manifest hash).
// Acceptance inserts the segment row, moves the chain head and appends
// "archive.accept" to the audit log in one transaction; every refusal is
// a typed error and leaves the index as it was.
//
// Handler serves the recorders' upload API (PUT and HEAD /segments/{hash},
// POST /manifests, GET /chain) with device tokens; web mounts it.
//
// # What this package must not do
//
// It does not import room or web: the recorder registry comes in through
// RecorderKeys, and cmd adapts Locate to room.ArchiveIndex. It never
// deletes or rewrites a stored segment or an index row.
package archive
