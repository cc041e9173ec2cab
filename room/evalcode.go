package room

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// An evaluator code is how an expert, signed in by staff, opens the
// evaluator page without a password: eight characters from an alphabet
// without look-alikes (no 0/O, 1/I/L), shown as XXXX-XXXX, easy to read
// aloud and to type. It is valid for one session and one member's seat,
// once, until the session ends. Only its SHA-256 is stored.

// ErrCodeInvalid is returned for an evaluator code that is unknown,
// already used, revoked by a re-issue, expired, of a session that is no
// longer running, or of a seat released since. It never says which: the
// caller learns nothing about other codes. Nothing was changed.
var ErrCodeInvalid = errors.New("room: evaluator code invalid, used or expired")

// CodeAlphabet is the alphabet of evaluator codes: digits and capital
// letters without 0, 1, I, L and O.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// codeLen is the number of characters of a code, without its hyphen.
const codeLen = 8

// CodeOverrun is how long after a session's scheduled end its evaluator
// codes (and the evaluators' logins) stay valid, for an evaluation that
// runs late; a session finished or aborted ends them at once.
const CodeOverrun = 4 * time.Hour

// EvaluatorCode is a freshly issued code, shown once to staff.
type EvaluatorCode struct {
	// Code is the code as it is read out: XXXX-XXXX.
	Code string `json:"code"`
	// ExpiresAt is when the code stops working if unused.
	ExpiresAt time.Time `json:"expires_at"`
}

// NormalizeCode returns code as stored (eight characters of CodeAlphabet,
// no hyphen): upper case, with spaces and hyphens dropped. ok is false
// when what remains is not a well-formed code.
func NormalizeCode(code string) (norm string, ok bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\u3000' || r == '－':
			continue
		case r > 127 || !strings.ContainsRune(CodeAlphabet, r):
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != codeLen {
		return "", false
	}
	return b.String(), true
}

// FormatCode shows a normalized code as XXXX-XXXX.
func FormatCode(norm string) string {
	if len(norm) != codeLen {
		return norm
	}
	return norm[:4] + "-" + norm[4:]
}

// newCode draws a normalized code from crypto/rand.
func newCode() (string, error) {
	max := big.NewInt(int64(len(CodeAlphabet)))
	b := make([]byte, codeLen)
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("evaluator code: %w", err)
		}
		b[i] = CodeAlphabet[n.Int64()]
	}
	return string(b), nil
}

// hashCode is what is stored of a normalized code.
func hashCode(norm string) []byte {
	h := sha256.Sum256([]byte("evalroom evaluator code\x00" + norm))
	return h[:]
}

// codeExpiry is when a code issued at now for sess expires: the
// scheduled end plus CodeOverrun, counted from now when the session
// already runs past its end.
func codeExpiry(sess Session, now time.Time) time.Time {
	end := sess.EndsAt
	if now.After(end) {
		end = now
	}
	return end.Add(CodeOverrun)
}
