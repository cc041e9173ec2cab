package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects bounds the 307 redirects a WHIP POST follows (the room
// server redirects to the node that hosts the session).
const maxRedirects = 3

// maxAnswer bounds the SDP answer read.
const maxAnswer = 1 << 20

// whipOffer posts an SDP offer to ep (RFC 9725 §4.2) and returns the
// answer and the resource URL. It follows 307/308 redirects itself, so
// that the token goes along to another host. Errors: ErrUnauthorized,
// ErrRefused, the transport's.
func whipOffer(ctx context.Context, hc *http.Client, ep Endpoint, offer string) (answer, location string, err error) {
	noFollow := *hc
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	target := ep.URL
	for range maxRedirects + 1 {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(offer))
		if err != nil {
			return "", "", fmt.Errorf("WHIP offer: %w", err)
		}
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("Authorization", "Bearer "+ep.Token)
		resp, err := noFollow.Do(req)
		if err != nil {
			return "", "", fmt.Errorf("WHIP offer: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
		if err != nil {
			return "", "", fmt.Errorf("WHIP offer: read answer: %w", err)
		}
		switch resp.StatusCode {
		case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			next, err := resp.Location()
			if err != nil {
				return "", "", fmt.Errorf("WHIP offer: %w: redirect without Location", ErrRefused)
			}
			target = next.String()
			continue
		case http.StatusCreated:
			loc, err := resp.Location()
			if err != nil || len(body) == 0 {
				return "", "", fmt.Errorf("WHIP offer: %w: 201 without answer or Location", ErrRefused)
			}
			return string(body), loc.String(), nil
		default:
			return "", "", statusError(resp.StatusCode, body)
		}
	}
	return "", "", fmt.Errorf("WHIP offer: %w: more than %d redirects", ErrRefused, maxRedirects)
}

// whipDelete ends the WHIP resource at location (RFC 9725 §4.2).
func whipDelete(ctx context.Context, hc *http.Client, location, token string) error {
	if _, err := url.Parse(location); err != nil {
		return fmt.Errorf("WHIP delete: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, location, nil)
	if err != nil {
		return fmt.Errorf("WHIP delete: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("WHIP delete: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("WHIP delete: %s", resp.Status)
	}
	return nil
}

// statusError maps a refused WHIP offer to ErrUnauthorized or ErrRefused,
// keeping the server's message (the room server's JSON error shape, or
// the body's start).
func statusError(status int, body []byte) error {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	detail := e.Error.Message
	if detail == "" {
		detail = string(bytes.TrimSpace(body))
		if len(detail) > 200 {
			detail = detail[:200]
		}
	}
	kind := ErrRefused
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		kind = ErrUnauthorized
	}
	return fmt.Errorf("WHIP offer: %w: %d %s", kind, status, detail)
}
