package clock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ExchangePath is where evalroomd answers clock exchanges.
const ExchangePath = "/api/clock"

// Wire is the JSON of a clock exchange: the client posts {"t1": …}, the
// server answers with t1 echoed and its t2 and t3. Times are nanoseconds
// since the Unix epoch, UTC.
type Wire struct {
	T1 int64 `json:"t1"`
	T2 int64 `json:"t2,omitempty"`
	T3 int64 `json:"t3,omitempty"`
}

// HTTPExchanger is an Exchanger that posts to evalroomd's /api/clock.
type HTTPExchanger struct {
	url    string
	client *http.Client
}

var _ Exchanger = (*HTTPExchanger)(nil)

// NewHTTPExchanger returns an exchanger for the evalroomd at baseURL
// (e.g. "https://evalroom.example.org"). A nil client means a client with
// a 5 s timeout. Errors: ErrMissingParam, ErrInvalid (not an http(s) URL).
func NewHTTPExchanger(baseURL string, client *http.Client) (*HTTPExchanger, error) {
	if baseURL == "" {
		return nil, fmt.Errorf("%w: base URL", ErrMissingParam)
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: base URL %q", ErrInvalid, baseURL)
	}
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	return &HTTPExchanger{url: strings.TrimRight(baseURL, "/") + ExchangePath, client: client}, nil
}

// Exchange posts t1 and returns the server's t2 and t3. Errors: the
// transport's, an error for a status other than 200, ErrBadSample for an
// answer that does not echo t1 or lacks t2 or t3.
func (h *HTTPExchanger) Exchange(ctx context.Context, t1 time.Time) (time.Time, time.Time, error) {
	body, err := json.Marshal(Wire{T1: t1.UnixNano()})
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("clock exchange: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("clock exchange: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("clock exchange: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("clock exchange: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, time.Time{}, fmt.Errorf("clock exchange: %s: %s", resp.Status, bytes.TrimSpace(raw))
	}
	var w Wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("clock exchange: %w: %v", ErrBadSample, err)
	}
	if w.T1 != t1.UnixNano() || w.T2 == 0 || w.T3 == 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("clock exchange: %w: answer does not match the request", ErrBadSample)
	}
	return time.Unix(0, w.T2).UTC(), time.Unix(0, w.T3).UTC(), nil
}
