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
// Ed25519 signature verifies with the recorder's key in force at that
// moment (KeyHistory: every key a recorder ever had is kept with its
// period, so a manifest signed with a retired key is refused and the
// moment becomes the segment's accepted_at), the stored bytes
// hash again to the manifest's size and hash, and it continues the
// recorder's chain head (seq + 1, prev_hash = the head's manifest hash).
// Verification (VerifySession, the evidence export) checks each manifest
// with the key in force at its accepted_at, so re-registering a
// recorder's key leaves its older recordings verifiable.
// Acceptance inserts the segment row, moves the chain head and appends
// "archive.accept" to the audit log in one transaction; every refusal is
// a typed error and leaves the index as it was.
//
// Handler serves the recorders' upload API (PUT and HEAD /segments/{hash},
// POST /manifests, GET /chain) with device tokens; web mounts it.
//
// # Stores
//
// FS keeps objects in a folder (<dir>/<k[0:2]>/<k[2:4]>/<k>, written to a
// temporary file, synced and renamed). S3 keeps them in an S3-compatible
// bucket (minio-go) under the same layout: an upload is spooled to a
// local file while it is hashed, refused when the hash or size is wrong,
// and only then sent in one PUT with its Content-MD5 and
// "If-None-Match: *"; reads are HTTP range requests. OpenStore opens the
// one a StoreConfig names.
//
// # Verification
//
// Acceptance checks a segment once. VerifySession checks a session's
// evidence again, whenever asked (the API, `evalroomctl archive verify
// -session`): for every segment of the session's rooms over its span and
// every segment of the same chains between them, it reads the stored
// bytes back and hashes them, verifies the manifest's signature with the
// recorder's registered key, checks the chain links (seq contiguous,
// prev_hash the previous manifest's hash, the first one linking to the
// indexed manifest before it) and that the index row says what its
// signed manifest says. Each segment's verified_at, state ("verified" or
// "broken") and verify_detail record the outcome (accepted_at keeps the
// acceptance time), and "archive.verify" enters the audit log with the
// summary and the first broken link. The checks of a chain slice are
// evidence.CheckSlice, the same code the offline verifier runs.
//
// # Evidence export
//
// PrepareExport gathers a session's evidence: each recorder's chain slice
// over the selection (a manifest of another session in between is kept
// chain-only, without its bytes), the recorders' registered keys, the
// records the caller hands in as files (scores.json, session.json) and
// the audit entries about the session, its rooms and the slices'
// segments; it appends "archive.export" before anything is written, so
// the export's own audit.jsonl shows who exported it. Export.Write
// streams the ZIP file (see package evidence for its layout, why ZIP,
// and the offline verifier).
//
// # Retention and legal holds
//
// A session's recordings are kept Years (at least MinRetentionYears, 15)
// after the session ended. Retention.Expire, run daily by evalroomd and by
// `evalroomctl archive expire`, deletes a segment past that, unless an
// active legal hold (PlaceHold, ReleaseHold; archive.holds, never
// deleted) covers it: its index row becomes a tombstone (state
// "deleted", deleted_at, deleted_by, delete_reason; a trigger keeps it
// from being dropped or revived) that keeps the signed manifest, the
// deletion is audited ("archive.expire"), then the bytes leave the store
// and the replicas (blob_removed_at). VerifySession counts a tombstone as
// deleted after retention, checking its manifest and links only; an
// export keeps it as a chain-only link; Segments, Locate and Open no
// longer offer it.
//
// # What this package must not do
//
// It does not import room or web: the recorder registry comes in through
// RecorderKeys, the session's rooms and span through Selection (and, for
// retention, Sessions), its records as files; cmd adapts Locate to
// room.ArchiveIndex. It never rewrites a stored segment and deletes one
// only through Retention; of an index row it updates only the
// verification state (verified_at, state, verify_detail) and, once, its
// tombstone.
package archive
