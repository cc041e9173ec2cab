package token

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issuer is the "iss" claim of every token.
const issuer = "evalroom"

// MinKeyLen is the shortest signing key accepted.
const MinKeyLen = 32

// Authority mints and verifies tokens under one key.
type Authority struct {
	key    []byte
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// New returns an Authority signing with key (at least MinKeyLen bytes),
// minting tokens that live for ttl, reading time from now (nil: time.Now).
func New(key []byte, ttl time.Duration, now func() time.Time) (*Authority, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("token key: %d bytes, need %d", len(key), MinKeyLen)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("token ttl %v: must be positive", ttl)
	}
	if now == nil {
		now = time.Now
	}
	a := &Authority{key: append([]byte(nil), key...), ttl: ttl, now: now}
	a.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return a.now() }),
		jwt.WithLeeway(5*time.Second),
	)
	return a, nil
}

// TTL returns how long minted tokens live.
func (a *Authority) TTL() time.Duration { return a.ttl }

// wire is the JWT body.
type wire struct {
	jwt.RegisteredClaims
	Name    string `json:"name,omitempty"`
	Session string `json:"sid"`
	Room    string `json:"rid,omitempty"`
	Venue   string `json:"ven,omitempty"`
	Role    Role   `json:"role"`
	Grants  Grants `json:"grants"`
}

// Mint signs c, filling its ID, IssuedAt and Expires, and returns the
// token with the claims as minted. It fails with ErrInvalid for claims
// that must not be granted (a publishing or visible supervisor, a device
// without a room, a hidden publisher, an unknown role, no session except
// in an upload-only device token).
func (a *Authority) Mint(c Claims) (string, Claims, error) {
	if err := c.check(); err != nil {
		return "", Claims{}, err
	}
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", Claims{}, fmt.Errorf("token id: %w", err)
	}
	now := a.now().UTC().Truncate(time.Second)
	c.ID, c.IssuedAt, c.Expires = hex.EncodeToString(id[:]), now, now.Add(a.ttl)
	w := wire{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: c.Subject, ID: c.ID,
			IssuedAt: jwt.NewNumericDate(c.IssuedAt), ExpiresAt: jwt.NewNumericDate(c.Expires),
		},
		Name: c.Name, Session: c.Session, Room: c.Room, Venue: c.Venue, Role: c.Role, Grants: c.Grants,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, w).SignedString(a.key)
	if err != nil {
		return "", Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return s, c, nil
}

// Verify checks tok's signature, issuer and lifetime and returns its
// claims. It fails with ErrExpired for a token out of its lifetime and
// ErrInvalid for anything else wrong.
func (a *Authority) Verify(tok string) (Claims, error) {
	var w wire
	_, err := a.parser.ParseWithClaims(tok, &w, func(*jwt.Token) (any, error) { return a.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return Claims{}, fmt.Errorf("%w: %v", ErrExpired, err)
	case err != nil:
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	c := Claims{
		Subject: w.Subject, Name: w.Name, Session: w.Session, Room: w.Room, Venue: w.Venue,
		Role: w.Role, Grants: w.Grants, ID: w.ID,
		IssuedAt: w.IssuedAt.Time.UTC(), Expires: w.ExpiresAt.Time.UTC(),
	}
	if err := c.check(); err != nil {
		return Claims{}, err
	}
	return c, nil
}
