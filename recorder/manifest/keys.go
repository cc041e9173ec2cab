package manifest

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/evalroom/evalroom/internal/fsutil"
)

// Key file names written by WriteKeyPair.
const (
	PrivateKeyFile = "recorder.key"
	PublicKeyFile  = "recorder.pub"
)

// Keys finds the public keys that may have signed a recorder's manifests.
type Keys interface {
	// Lookup returns the candidate keys of recorder; none means the
	// recorder is unknown.
	Lookup(recorder string) []ed25519.PublicKey
}

// KeyRing holds public keys by recorder id, and keys for any recorder
// (given without an id, e.g. `-key` on the command line).
type KeyRing struct {
	byID map[string]ed25519.PublicKey
	any  []ed25519.PublicKey
}

var _ Keys = (*KeyRing)(nil)

// Add registers pub for recorder; an empty recorder makes it a key for any
// recorder.
func (k *KeyRing) Add(recorder string, pub ed25519.PublicKey) {
	if recorder == "" {
		k.any = append(k.any, pub)
		return
	}
	if k.byID == nil {
		k.byID = map[string]ed25519.PublicKey{}
	}
	k.byID[recorder] = pub
}

// Len is the number of keys.
func (k *KeyRing) Len() int { return len(k.byID) + len(k.any) }

// Lookup returns the recorder's registered key, else the keys for any
// recorder.
func (k *KeyRing) Lookup(recorder string) []ed25519.PublicKey {
	if pub, ok := k.byID[recorder]; ok {
		return []ed25519.PublicKey{pub}
	}
	return k.any
}

// ParsePublicKey decodes a standard-base64 Ed25519 public key (32 bytes),
// as `evalroomctl recorder keygen` prints it. Errors wrap ErrInvalid.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %q is not a base64 Ed25519 public key (32 bytes)", ErrInvalid, s)
	}
	return ed25519.PublicKey(b), nil
}

// ReadKeyRing reads a key file into k: one key per line, either
// "<recorder-id> <base64 key>" or a bare "<base64 key>" for any recorder;
// blank lines and lines starting with # are skipped. Errors wrap
// ErrInvalid with the line number.
func (k *KeyRing) ReadKeyRing(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		id, key := "", f[0]
		switch len(f) {
		case 1:
		case 2:
			id, key = f[0], f[1]
			if !idRE.MatchString(id) {
				return fmt.Errorf("%w: line %d: recorder id %q", ErrInvalid, n, id)
			}
		default:
			return fmt.Errorf("%w: line %d: want \"<recorder-id> <key>\" or \"<key>\"", ErrInvalid, n)
		}
		pub, err := ParsePublicKey(key)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		k.Add(id, pub)
	}
	return sc.Err()
}

// WriteKeyPair creates a new Ed25519 key pair in dir: PrivateKeyFile as
// PKCS #8 PEM with mode 0600 and PublicKeyFile as one base64 line. It
// returns the public key. An existing key file is never overwritten
// (ErrKeyExists).
func WriteKeyPair(dir string) (ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	privPath, pubPath := filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%w: %s", ErrKeyExists, p)
		}
	}
	if err := createExclusive(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	if err := createExclusive(pubPath, []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o644); err != nil {
		return nil, err
	}
	return pub, fsutil.SyncDir(dir)
}

// createExclusive creates path with data, failing if it exists, and
// fsyncs it.
func createExclusive(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrKeyExists, path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	return f.Close()
}

// ReadPrivateKeyFile reads a recorder's private key written by
// WriteKeyPair. Errors wrap ErrInvalid for a file that holds no Ed25519
// PKCS #8 key.
func ReadPrivateKeyFile(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: %s holds no PEM private key", ErrInvalid, path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s holds a %T, not an Ed25519 key", ErrInvalid, path, k)
	}
	return priv, nil
}
