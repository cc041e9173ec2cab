package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// WebhookParams configure a WebhookProvider.
type WebhookParams struct {
	// URL is the voice/SMS gateway's endpoint. Required.
	URL string
	// Secret signs each request (see Sign). Required.
	Secret string
	// Timeout bounds one request; 0 means 10 seconds.
	Timeout time.Duration
	// Client is the HTTP client; nil means a new one with Timeout.
	Client *http.Client
	// Now is the clock for the signature; nil means time.Now.
	Now func() time.Time
}

// WebhookProvider delivers a Message by POSTing it as JSON to a gateway,
// with the headers Idempotency-Key (Message.ID) and X-Evalroom-Signature.
// A 2xx answer means delivered; 408, 429 and 5xx are retried; any other
// 4xx is a PermanentError.
type WebhookProvider struct {
	url    string
	secret string
	client *http.Client
	now    func() time.Time
}

var _ Provider = (*WebhookProvider)(nil)

// NewWebhookProvider returns a WebhookProvider.
func NewWebhookProvider(p WebhookParams) (*WebhookProvider, error) {
	if p.URL == "" || p.Secret == "" {
		return nil, fmt.Errorf("%w: webhook URL and secret", ErrMissingParam)
	}
	if p.Timeout <= 0 {
		p.Timeout = 10 * time.Second
	}
	if p.Client == nil {
		p.Client = &http.Client{Timeout: p.Timeout}
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &WebhookProvider{url: p.URL, secret: p.Secret, client: p.Client, now: p.Now}, nil
}

// Send POSTs m to the gateway.
func (w *WebhookProvider) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return Permanentf("webhook %s: encode: %w", m.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return Permanentf("webhook %s: %w", m.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IdempotencyHeader, m.ID)
	req.Header.Set(SignatureHeader, Sign(w.secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", m.ID, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook %s: gateway answered %d: %s", m.ID, c, bytes.TrimSpace(snippet))
	default:
		return Permanentf("webhook %s: gateway refused with %d: %s", m.ID, c, bytes.TrimSpace(snippet))
	}
}
