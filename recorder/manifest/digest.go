package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/emmansun/gmsm/sm3"
)

// Alg names a hash algorithm of the archive.
type Alg string

// The hash algorithms. Both produce 32-byte digests.
const (
	// SHA256 is SHA-256 (FIPS 180-4), the default.
	SHA256 Alg = "sha256"
	// SM3 is SM3 (GB/T 32905-2016), the option for deployments that
	// require the Chinese national algorithms.
	SM3 Alg = "sm3"
)

// New returns a fresh hash of the algorithm; ErrInvalid for an unknown
// name.
func (a Alg) New() (hash.Hash, error) {
	switch a {
	case SHA256:
		return sha256.New(), nil
	case SM3:
		return sm3.New(), nil
	}
	return nil, fmt.Errorf("%w: unknown hash algorithm %q (want sha256 or sm3)", ErrInvalid, string(a))
}

// Sum hashes data.
func (a Alg) Sum(data []byte) (Digest, error) {
	h, err := a.New()
	if err != nil {
		return Digest{}, err
	}
	h.Write(data)
	var d Digest
	copy(d[:], h.Sum(nil))
	return d, nil
}

// SumReader hashes everything r yields and counts the bytes.
func (a Alg) SumReader(r io.Reader) (Digest, int64, error) {
	h, err := a.New()
	if err != nil {
		return Digest{}, 0, err
	}
	n, err := io.Copy(h, r)
	if err != nil {
		return Digest{}, n, fmt.Errorf("hash: %w", err)
	}
	var d Digest
	copy(d[:], h.Sum(nil))
	return d, n, nil
}

// Digest is a 32-byte hash value; the zero Digest is the genesis link of
// every chain.
type Digest [32]byte

// String is the digest in 64 lowercase hex digits.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is the genesis link.
func (d Digest) IsZero() bool { return d == Digest{} }

// ParseDigest parses 64 lowercase hex digits.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != 64 {
		return d, fmt.Errorf("%w: hash %q is not 64 hex digits", ErrMalformed, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return d, fmt.Errorf("%w: hash %q is not lowercase hex", ErrMalformed, s)
		}
	}
	_, err := hex.Decode(d[:], []byte(s))
	return d, err
}
