// Package seal encrypts sealed data at rest (AES-256-GCM) and derives the
// other secrets evalroom needs (HMAC keys for blind indexes and signed
// links) from one master key, with HKDF-SHA256 and a purpose label each.
//
// A sealed value is: one version byte (1), a 12-byte random nonce, and the
// GCM ciphertext with its tag. The caller passes associated data (for
// example "expert:42:id_number") so a ciphertext copied to another row or
// column fails to open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync"

	"golang.org/x/crypto/hkdf"
)

// KeySize is the master key length in bytes.
const KeySize = 32

const version byte = 1

// ErrBadKey is returned for a master key that is not 32 bytes (or not
// valid base64).
var ErrBadKey = errors.New("seal: master key must be 32 bytes, base64-encoded")

// ErrOpen is returned when a sealed value was altered, belongs to other
// associated data, or was sealed under another key.
var ErrOpen = errors.New("seal: cannot open sealed value")

// Keys holds the master key and opens and seals with keys derived from it.
type Keys struct {
	master []byte
	aead   cipher.AEAD

	mu      sync.Mutex
	derived map[string][]byte // by purpose; HKDF runs once per purpose
}

// ParseKey decodes a base64 master key (standard or URL alphabet).
func ParseKey(b64 string) (*Keys, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		raw, err = base64.URLEncoding.DecodeString(b64)
	}
	if err != nil || len(raw) != KeySize {
		return nil, ErrBadKey
	}
	return NewKeys(raw)
}

// NewKeys returns Keys for a 32-byte master key.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) != KeySize {
		return nil, ErrBadKey
	}
	k := &Keys{master: append([]byte(nil), master...), derived: map[string][]byte{}}
	block, err := aes.NewCipher(k.Derive("seal/aes-gcm"))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return k, nil
}

// GenerateKey returns a fresh random master key, base64-encoded.
func GenerateKey() string {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Derive returns a 32-byte key for purpose, independent of the keys for
// every other purpose.
func (k *Keys) Derive(purpose string) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.derived[purpose]; ok {
		return slices.Clone(key)
	}
	out := make([]byte, 32)
	r := hkdf.New(sha256.New, k.master, nil, []byte("evalroom/"+purpose))
	if _, err := io.ReadFull(r, out); err != nil {
		panic(err) // cannot happen for 32 bytes of HKDF-SHA256
	}
	k.derived[purpose] = out
	return slices.Clone(out)
}

// MAC returns HMAC-SHA256 of msg under the key derived for purpose: a
// blind index or a signature that only holders of the master key can make.
func (k *Keys) MAC(purpose string, msg []byte) []byte {
	m := k.NewMAC(purpose)
	m.Write(msg)
	return m.Sum(nil)
}

// NewMAC returns an HMAC-SHA256 under the key for purpose, for loops that
// compute many MACs (Reset between messages). It gives the same results as
// MAC and is not safe for concurrent use.
func (k *Keys) NewMAC(purpose string) hash.Hash {
	return hmac.New(sha256.New, k.Derive(purpose))
}

// Seal encrypts plaintext bound to aad.
func (k *Keys) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	out := append([]byte{version}, nonce...)
	return k.aead.Seal(out, nonce, plaintext, aad)
}

// Open decrypts a value made by Seal with the same aad, or returns ErrOpen.
func (k *Keys) Open(sealed, aad []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(sealed) < 1+ns+k.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := k.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
