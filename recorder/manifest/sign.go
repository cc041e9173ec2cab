package manifest

import (
	"crypto/ed25519"
	"fmt"
)

// Sign validates the manifest and sets its Signature: Ed25519 by priv over
// SignedBytes. Errors wrap ErrInvalid.
func (m *Manifest) Sign(priv ed25519.PrivateKey) error {
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: Ed25519 private key of %d bytes", ErrInvalid, len(priv))
	}
	if err := m.Validate(); err != nil {
		return err
	}
	msg, err := m.SignedBytes()
	if err != nil {
		return err
	}
	m.Signature = ed25519.Sign(priv, msg)
	return nil
}

// Verify checks the signature with pub. Errors: ErrBadSignature (missing,
// wrong length, or not by pub over these fields), ErrInvalid (a field
// breaks a rule).
func (m Manifest) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: Ed25519 public key of %d bytes", ErrBadSignature, len(pub))
	}
	if len(m.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature of %d bytes", ErrBadSignature, len(m.Signature))
	}
	if err := m.Validate(); err != nil {
		return err
	}
	msg, err := m.SignedBytes()
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, msg, m.Signature) {
		return fmt.Errorf("%w: manifest %d of %s", ErrBadSignature, m.Seq, m.Recorder)
	}
	return nil
}

// Hash is the chain link to this manifest: its Alg over Canonical, the
// signature included. The next manifest of the recorder carries it as
// Prev. Errors wrap ErrInvalid (unknown algorithm, unencodable field).
func (m Manifest) Hash() (Digest, error) {
	b, err := m.Canonical()
	if err != nil {
		return Digest{}, err
	}
	return m.Alg.Sum(b)
}
