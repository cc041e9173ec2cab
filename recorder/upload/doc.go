// Package upload is the edge recorder's uploader: it sends the spool's
// finished segments and their signed manifests to evalroomd's archive
// (recorder/archive's upload API), in chain order, and deletes a local
// segment only after the archive acknowledged it and only when the spool
// needs room.
//
// # Protocol
//
// Every request carries "Authorization: Bearer <device token>" (Params.Token;
// a recorder whose room runs no session gets an upload-only token, which
// the archive accepts). Before uploading, and again after any fault, the
// uploader asks GET /chain where the archive's chain of this recorder
// stands ({recorder_id, seq, manifest_hash}). The archive's head is
// acknowledged only if the spool holds the manifest of that seq and its
// chain hash (manifest.Manifest.Hash) is the head's manifest_hash;
// otherwise the chains diverged and nothing is uploaded (ErrDiverged,
// Alarm). Then, for each manifest after the acknowledged seq, in seq
// order:
//
//  1. HEAD /segments/{key}: does the archive hold the segment's bytes?
//     The key is the hex SHA-256 of the bytes: a SHA-256 manifest's
//     segment hash, or, for an SM3 manifest, the SHA-256 computed from
//     the file;
//  2. if not, PUT /segments/{key} streaming the file (Content-Length set);
//  3. POST /manifests?segment={key} with the manifest file's bytes. The
//     archive checks signature, bytes and chain; its 201 (or 200, the
//     same manifest accepted before) naming this seq and chain hash is the
//     acknowledgement.
//
// Each step is idempotent by hash, so a restart anywhere (a kill, a lost
// connection, an answer that never arrived) resumes without harm and
// without sending acknowledged bytes again. A segment's manifest is
// written only after the segment is closed, so a segment still being
// written (*.mp4.part) or without its manifest is never sent; a new
// archive chain starts at the spool's first manifest, and after that a
// missing seq stops the uploads (ErrSpool, Alarm).
//
// Faults (network, 5xx, a token source that fails) are retried after
// Interval, doubling up to MaxBackoff. After a 401 the uploader drops the
// token (Params.OnUnauthorized), gets a fresh one from Params.Token and
// sends once more at once (a token that expired meanwhile). Any other
// 4xx, and a second 401, is a refusal (bad hash or signature, broken
// chain, unknown recorder, a token the archive does not accept): the
// archive's Chinese message becomes the Alarm, the local files stay, and
// the request is tried again after MaxBackoff.
//
// # State file
//
// <Dir>/upload.state holds the highest acknowledged seq, its chain hash
// and the recorder id as JSON, written atomically (temporary file, fsync,
// rename, fsync of the folder) after each acknowledgement. It only ever
// moves forward, and only on the archive's word. A missing or unreadable
// state file is no danger: the archive's chain head, checked against the
// spool's manifests, says again what was acknowledged. An archive head
// behind the state (an archive that lost what it acknowledged) stops the
// uploads with an Alarm.
//
// # Deletion policy
//
// Only segment files are deleted, never manifests (they are small and
// keep the chain checkable) nor state files; only acknowledged ones (seq
// at most the acknowledged seq); oldest first; and only while the
// spool's size (all its files) is over QuotaBytes (zero: never). An
// unacknowledged segment is never deleted: when the spool is over its
// quota and nothing may be deleted, the uploader raises an Alarm and keeps
// going (recording goes on until the disk is full).
//
// # Alarm
//
// Status.Alarm is, in Chinese, what needs a person: a refusal, diverged
// chains, a spool that cannot be uploaded, a spool over its quota. Each
// new alarm is logged at Error once; it clears when the cause is gone.
// Passing faults go to Status.LastError.
//
// # What this package must not do
//
// It never deletes anything the archive has not acknowledged, never
// rewrites a manifest or a segment, and imports neither room nor
// recorder/archive: it speaks to the archive over HTTP only.
package upload
