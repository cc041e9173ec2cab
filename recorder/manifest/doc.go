// Package manifest owns the evidence layer of the edge recorder's archive:
// the signed manifest written beside each segment, the per-recorder hash
// chain that links the manifests, and the verifier that walks a chain and
// names its first broken link.
//
// # Manifest
//
// Each segment file (e.g. seg-000042.mp4) has a manifest
// (seg-000042.manifest.json, see ManifestName) that records who recorded
// it (recorder, room, session), what it is (file name, size, hash, tracks),
// when (UTC start and end, the clock offset and its uncertainty at the
// time), what is missing (gaps, truncation after a crash), and where it
// stands in its recorder's chain (seq from 1, hash of the previous signed
// manifest; the first one links to 32 zero bytes). The recorder signs it
// with its Ed25519 key, registered at the server.
//
// # Canonical encoding
//
// The signature and the chain link are computed over a canonical byte
// form, so that any implementation can reproduce them from the parsed
// JSON, today or in fifteen years. It is the JSON Canonicalization Scheme
// of RFC 8785 restricted to what a manifest holds:
//
//   - UTF-8, no byte order mark, no insignificant whitespace;
//   - object members sorted by key (all keys are ASCII, so by byte), every
//     member always present, including zero values and empty arrays;
//   - integers only, in decimal without sign "+", exponent or leading
//     zeros, within ±(2^53−1);
//   - strings escaped as RFC 8785 (ECMAScript JSON.stringify) does: \" \\
//     \b \f \n \r \t, other characters below U+0020 as \u00xx with
//     lowercase hex, every other character as itself;
//   - times as strings "2006-01-02T15:04:05.000000000Z": UTC, always nine
//     fractional digits;
//   - hashes as 64 lowercase hex digits, the signature and keys in standard
//     base64 with padding.
//
// The signed bytes are the canonical encoding of the manifest without its
// "signature" member. The manifest file holds the canonical encoding with
// the signature member (followed by one newline). The chain link, Hash, is
// the manifest's hash algorithm over the canonical encoding with the
// signature, so a link covers the signature too. Parsing is strict:
// unknown members, non-canonical times or hashes and out-of-range numbers
// are refused, so nothing unsigned can ride along in a manifest.
//
// # Hash algorithms
//
// SHA-256 ("sha256") is the default; SM3 ("sm3", GB/T 32905, through
// github.com/emmansun/gmsm) is the option. Both give 32 bytes. A manifest's
// algorithm hashes both its segment and its own chain link.
//
// # What this package must not do
//
// It does no network and no database access and knows nothing of the
// container format: it hashes segment bytes as they are. Uploading,
// storing and indexing belong to the recorder and to recorder/archive;
// they plug their stores into the verifier through Source.
package manifest
