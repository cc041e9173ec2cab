package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the HTTP header carrying the signature, on our
// requests to the gateway and on the gateway's callbacks to us.
const SignatureHeader = "X-Evalroom-Signature"

// IdempotencyHeader is the HTTP header carrying Message.ID.
const IdempotencyHeader = "Idempotency-Key"

// Sign returns the signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// parsedSignature is a decoded signature header.
type parsedSignature struct {
	t  time.Time
	ts string
	v1 [][]byte
}

func parseSignature(header string) (parsedSignature, error) {
	var p parsedSignature
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return p, fmt.Errorf("%w: malformed header", ErrBadSignature)
		}
		switch k {
		case "t":
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil || p.ts != "" {
				return p, fmt.Errorf("%w: bad timestamp", ErrBadSignature)
			}
			p.ts, p.t = v, time.Unix(sec, 0)
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return p, fmt.Errorf("%w: bad v1 signature", ErrBadSignature)
			}
			p.v1 = append(p.v1, b)
		}
	}
	if p.ts == "" || len(p.v1) == 0 {
		return p, fmt.Errorf("%w: header lacks t or v1", ErrBadSignature)
	}
	return p, nil
}

// VerifySignature checks a signature header made by Sign for body: the
// HMAC must match one v1 value and t must lie within tolerance of now
// (either side). It returns an error wrapping ErrBadSignature otherwise.
// It does not detect replays within the tolerance; CallbackVerifier does.
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	_, err := verify(secret, header, body, now, tolerance)
	return err
}

func verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) (parsedSignature, error) {
	p, err := parseSignature(header)
	if err != nil {
		return p, err
	}
	if d := now.Sub(p.t); d > tolerance || d < -tolerance {
		return p, fmt.Errorf("%w: timestamp outside tolerance", ErrBadSignature)
	}
	want := mac(secret, p.ts, body)
	for _, v := range p.v1 {
		if hmac.Equal(v, want) {
			return p, nil
		}
	}
	return p, fmt.Errorf("%w: signature does not match", ErrBadSignature)
}
