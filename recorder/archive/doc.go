// Package archive is the central archive: the store of uploaded segments
// and manifests, addressed by content hash, and (to come) its index in
// PostgreSQL (schema archive) answering "which segment, at which offset,
// covers room R at instant T".
//
// The store never trusts a name: an object's key is the hex SHA-256 of
// its bytes, computed while it is written, and a Put whose bytes do not
// hash to the key stores nothing. Objects are immutable; writing one that
// exists is a no-op. The file-system store is the default; an
// S3-compatible store is for production.
package archive
