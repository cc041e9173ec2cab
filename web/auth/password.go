package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/evalroom/evalroom/internal/errtext"
	"golang.org/x/crypto/argon2"
)

// HashParams are the argon2id parameters for new password hashes.
type HashParams struct {
	// Memory in KiB, Time (iterations) and Threads.
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultHashParams follow the OWASP recommendation for argon2id: 19 MiB,
// two iterations, one thread.
var DefaultHashParams = HashParams{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLen is the shortest password accepted, in characters.
	MinPasswordLen = 8
	// MaxPasswordLen bounds the work an attacker can make us do.
	MaxPasswordLen = 256
)

var errBadHash = errors.New("auth: malformed password hash")

// checkPassword validates a new password.
func checkPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return errtext.Field(fmt.Errorf("%w: 密码至少 %d 位", ErrInvalid, MinPasswordLen), "password")
	case len(pw) > MaxPasswordLen:
		return errtext.Field(fmt.Errorf("%w: 密码过长（最多 %d 字节）", ErrInvalid, MaxPasswordLen), "password")
	}
	return nil
}

// HashPassword returns the PHC string of an argon2id hash of pw:
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<threads>$<salt>$<hash>, salt
// and hash in unpadded standard base64.
func HashPassword(pw string, p HashParams) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// VerifyPassword reports whether pw matches the PHC string hash, using the
// parameters recorded in it.
func VerifyPassword(pw, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
