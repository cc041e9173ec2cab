package draw

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
)

// SeedSize is the length of a draw seed in bytes.
const SeedSize = 32

// ErrBadSeed is returned for a seed that is not SeedSize bytes long.
var ErrBadSeed = errors.New("draw: seed must be 32 bytes")

// NewSeed returns a fresh seed from crypto/rand.
func NewSeed() ([]byte, error) {
	seed := make([]byte, SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("draw: seed: %w", err)
	}
	return seed, nil
}

// Commitment returns SHA-256(seed), which is published before the draw.
func Commitment(seed []byte) []byte {
	sum := sha256.Sum256(seed)
	return sum[:]
}

// CheckCommitment reports whether seed is the one committed to.
func CheckCommitment(seed, commitment []byte) bool {
	return len(seed) == SeedSize && subtle.ConstantTimeCompare(Commitment(seed), commitment) == 1
}
