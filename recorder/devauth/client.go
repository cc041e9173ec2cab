package devauth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// TokenPath is where evalroomd mints device tokens.
const TokenPath = "/api/devices/token"

// maxAnswer bounds the answer read from the server.
const maxAnswer = 1 << 20

// Params configures a Client.
type Params struct {
	// BaseURL is evalroomd's base URL, e.g. "http://127.0.0.1:8080".
	// Required.
	BaseURL string
	// RecorderID is the recorder's registered ID. Required.
	RecorderID string
	// Key is the recorder's Ed25519 private key. Required.
	Key ed25519.PrivateKey
	// HTTP is the client for requests; nil means one with a 10 s timeout.
	HTTP *http.Client
	// Now is the recorder's server-corrected clock (media/clock's
	// Sync.Now): the server refuses timestamps further from its own clock
	// than its skew allowance. Nil means time.Now.
	Now func() time.Time
}

// Client fetches and caches device tokens. It is safe for concurrent
// use; requests to the server are serialised.
type Client struct {
	p    Params
	base *url.URL
	url  string
	// sem holds one token while a goroutine owns the cache and may talk
	// to the server (a lock that honours ctx).
	sem chan struct{}
	// stale is set by Invalidate.
	stale atomic.Bool
	// Guarded by sem.
	cached   Grant
	refresh  time.Time // when the cached grant is due for renewal
	lastSign time.Time // the last timestamp signed
}

// New returns a client. Errors: ErrMissingParam, ErrInvalidParam.
func New(p Params) (*Client, error) {
	switch {
	case p.BaseURL == "":
		return nil, fmt.Errorf("%w: BaseURL", ErrMissingParam)
	case p.RecorderID == "":
		return nil, fmt.Errorf("%w: RecorderID", ErrMissingParam)
	case p.Key == nil:
		return nil, fmt.Errorf("%w: Key", ErrMissingParam)
	case len(p.Key) != ed25519.PrivateKeySize:
		return nil, fmt.Errorf("%w: Key has %d bytes, want %d", ErrInvalidParam, len(p.Key), ed25519.PrivateKeySize)
	}
	base, err := url.Parse(p.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%w: BaseURL %q", ErrInvalidParam, p.BaseURL)
	}
	if p.HTTP == nil {
		p.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &Client{p: p, base: base, url: strings.TrimRight(p.BaseURL, "/") + TokenPath, sem: make(chan struct{}, 1)}, nil
}

// Token returns a grant valid for at least a fifth of its lifetime: the
// cached one, or a new one from the server once four fifths of the
// cached one's lifetime have passed. Errors: ErrNoSession, ErrRejected,
// ErrUnavailable, the transport's (wrapped), ctx's.
func (c *Client) Token(ctx context.Context) (Grant, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Grant{}, fmt.Errorf("device token: %w", ctx.Err())
	}
	defer func() { <-c.sem }()
	now := c.p.Now()
	if !c.stale.Swap(false) && c.cached.Token != "" && now.Before(c.refresh) {
		return c.cached, nil
	}
	g, err := c.request(ctx, now)
	if err != nil {
		return Grant{}, err
	}
	c.cached = g
	c.refresh = g.ExpiresAt.Add(-g.ExpiresAt.Sub(now) / 5)
	return g, nil
}

// PublishGrant returns a grant that allows publishing, for the live
// path: like Token, but an upload-only grant (outside a session) is
// dropped from the cache, so that the next call asks again, and reported
// as ErrNoSession. Errors: those of Token.
func (c *Client) PublishGrant(ctx context.Context) (Grant, error) {
	g, err := c.Token(ctx)
	if err != nil {
		return Grant{}, err
	}
	if !g.Publish || g.WHIPURL == "" {
		c.Invalidate()
		return Grant{}, fmt.Errorf("device token: %w (upload-only grant)", ErrNoSession)
	}
	return g, nil
}

// Invalidate drops the cached grant, so that the next Token asks the
// server: for example when the grant does not allow publishing and a
// session may have started since, or when a server refused the token.
// It never blocks.
func (c *Client) Invalidate() { c.stale.Store(true) }

// request signs a fresh timestamp and asks the server for a grant.
func (c *Client) request(ctx context.Context, now time.Time) (Grant, error) {
	// The server compares timestamps at microsecond precision and wants
	// each one later than the last it accepted.
	ts := now.UTC().Truncate(time.Microsecond)
	if !ts.After(c.lastSign) {
		ts = c.lastSign.Add(time.Microsecond)
	}
	c.lastSign = ts
	stamp := ts.Format(time.RFC3339Nano)
	body, err := json.Marshal(map[string]any{
		"recorder_id": c.p.RecorderID,
		"timestamp":   stamp,
		"signature":   ed25519.Sign(c.p.Key, Message(c.p.RecorderID, stamp)),
	})
	if err != nil {
		return Grant{}, fmt.Errorf("device token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Grant{}, fmt.Errorf("device token: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	// The API refuses unsafe requests without it (CSRF rule).
	req.Header.Set("X-Requested-With", "evalroom")
	resp, err := c.p.HTTP.Do(req)
	if err != nil {
		return Grant{}, fmt.Errorf("device token: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Grant{}, fmt.Errorf("device token: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Grant{}, statusError(resp.StatusCode, raw)
	}
	var r tokenResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return Grant{}, fmt.Errorf("device token: %w: %v", ErrUnavailable, err)
	}
	g, err := r.grant(c.base)
	if err != nil {
		return Grant{}, fmt.Errorf("device token: %w", err)
	}
	return g, nil
}

// statusError maps a refusal to the package's errors, keeping the
// server's message.
func statusError(status int, body []byte) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	detail := e.Error.Message
	if detail == "" {
		detail = strings.TrimSpace(string(body))
		if len(detail) > 200 {
			detail = detail[:200]
		}
	}
	var kind error
	switch status {
	case http.StatusConflict:
		kind = ErrNoSession
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity:
		kind = ErrRejected
	default:
		kind = ErrUnavailable
	}
	return fmt.Errorf("device token: %w: %d %s", kind, status, detail)
}
