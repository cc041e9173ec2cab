package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// CallbackVerifier checks the signature of a gateway callback and refuses
// a callback seen before: the signature is remembered in Redis (SET NX EX
// under Prefix) for twice the tolerance, after which VerifySignature
// refuses it as too old anyway. The caller must still make the effect of a
// callback idempotent in its database (an answer recorded once), because
// Redis may lose what it remembers.
type CallbackVerifier struct {
	// Secret is the shared HMAC secret. Required.
	Secret string
	// Redis and Prefix hold the seen signatures. Required.
	Redis  *redis.Client
	Prefix string
	// Tolerance is how far the callback's t may lie from now; 0 means 5
	// minutes.
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verify checks header against body and records it as used. It returns an
// error wrapping ErrBadSignature for a malformed, forged, expired or
// replayed callback, and another error when Redis cannot be reached (then
// the callback should be refused with a retryable status).
func (v *CallbackVerifier) Verify(ctx context.Context, header string, body []byte) error {
	if v.Secret == "" || v.Redis == nil {
		return fmt.Errorf("%w: callback secret and redis", ErrMissingParam)
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = 5 * time.Minute
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if _, err := verify(v.Secret, header, body, now(), tol); err != nil {
		return err
	}
	// Key on the whole header's hash: t and v1 together name one callback.
	sum := sha256.Sum256([]byte(header))
	ok, err := v.Redis.SetNX(ctx, v.Prefix+"notify:seen:"+hex.EncodeToString(sum[:16]), 1, 2*tol).Result()
	if err != nil {
		return fmt.Errorf("notify: remember callback: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: callback already used", ErrBadSignature)
	}
	return nil
}
