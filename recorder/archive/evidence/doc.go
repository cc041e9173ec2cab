// Package evidence owns the evidence export of an evaluation session: one
// ZIP file that a court, an auditor or an archivist can check offline,
// with nothing but the file (and, to prove the origin, the recorders'
// registered public keys), today or in fifteen years.
//
// # Why ZIP
//
// ZIP rather than tar: its central directory lets the verifier open any
// member directly (the verifier reads export.json first, then each
// manifest and segment, without scanning the whole file), every
// operating system opens it without extra tools (an archivist on Windows
// double-clicks it), and each member carries a CRC-32 that catches
// accidental damage before a hash is even computed. Go's archive/zip
// writes it as a stream (data descriptors, ZIP64 above 4 GiB), so the
// server sends an export while it builds it. Segments are stored without
// compression (video is compressed already, and Store costs no CPU);
// text members are deflated.
//
// # Layout
//
//	README.txt                          contents and offline verification, in Chinese and English
//	export.json                         the index: session, rooms, time span, chain slices with each
//	                                    recorder's key history and each manifest's accepted_at, files,
//	                                    the server's signing key
//	keys.txt                            every key the recorders ever had, "<recorder-id> <base64>",
//	                                    each after a comment with its fingerprint and period
//	recorders/<recorder>/<segment>      the segments (e.g. seg-000042.mp4)
//	recorders/<recorder>/<segment>.manifest.json   their signed manifests
//	scores.json, session.json, …        records handed in by the caller (Content.Files)
//	audit.jsonl                         the audit entries, one JSON object per line, with their hash-chain fields
//	SHA256SUMS                          every other member with its SHA-256 ("<hex>  <name>", as sha256sum)
//	SHA256SUMS.sig                      the server's Ed25519 signature over SHA256SUMS (see Signature)
//
// Each recorder's manifests form a chain slice: every manifest of that
// recorder from the first to the last included, contiguous (seq n+1's
// prev_hash is the hash of seq n). A manifest whose segment belongs to
// no part of the export (another session recorded in between) is kept
// for the links and marked chain-only in export.json; its segment is not
// in the file. The slice's anchor (its first seq and that manifest's
// prev_hash) and its last manifest hash are what the server's chain
// confirms: GET /archive/chain and the index hold the same values.
//
// # Keys
//
// The server keeps every key a recorder ever had, with the period it was
// in force ([registered_at, retired_at)), and never deletes one. A
// manifest is verified with the recorder's key in force when the server
// accepted its segment (its accepted_at in the index): the server
// accepts a manifest only when it verifies with the key in force at that
// moment, so a manifest signed with a retired key (a replaced room PC, a
// rotated or stolen key) is refused on upload and broken in an export.
// The acceptance time is the server's, not the recorder's claim, and the
// server's signature covers it.
//
// # Server signature
//
// The server signs SHA256SUMS (the list of every other member with its
// SHA-256) with its export signing key, an Ed25519 key derived from its
// master key (never a recorder's key) and published at GET
// /api/archive/server-key. A verifier given that key or its fingerprint
// proves the export came from the server unchanged: every member
// altered, removed or added since is named. Without it the signature
// proves internal consistency only.
//
// # Verification
//
// Verify checks, without network: the server's signature and every
// member against SHA256SUMS; every manifest's Ed25519 signature
// (with the key history of the index and keys.txt, or with keys the caller trusts), every
// included segment's size and hash, every link of every slice (seq and
// prev_hash, time never going backwards within a stream), each audit
// entry's hash over its fields and the links between consecutive
// entries, every listed file's SHA-256, and that each scoring record of
// scores.json is matched by its "score.record" or "score.correct" audit
// entry. It names the first broken link.
//
// # What this package must not do
//
// It does no database or network access and imports neither room nor
// web: the archive Service gathers the content and hands it in
// (Content), cmd supplies the session's records as files.
package evidence
