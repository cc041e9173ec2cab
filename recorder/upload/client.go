package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// maxAnswer bounds what is read of an answer body.
const maxAnswer = 64 << 10

// shortTimeout bounds the requests without a segment's bytes (GET /chain,
// HEAD, POST of a manifest), so that a connection that hangs is given up;
// a PUT's time grows with the segment and is bounded by the HTTP client.
const shortTimeout = 30 * time.Second

// client speaks the archive's upload API (recorder/archive.NewHandler).
type client struct {
	base  string
	http  *http.Client
	token func(ctx context.Context) (string, error)
	// unauthorized drops the token the archive answered 401 to.
	unauthorized func()
}

// apiError is an answer outside 2xx (and a HEAD's 404).
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("HTTP %d", e.status)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.status, e.code, e.message)
}

// refusal reports whether the answer refuses the request for good (a 4xx
// other than timeout and rate limit): it becomes an alarm.
func (e *apiError) refusal() bool {
	return e.status >= 400 && e.status < 500 && e.status != http.StatusRequestTimeout && e.status != http.StatusTooManyRequests
}

// do sends the request build makes with a token, and returns the answer
// of a 2xx (and HEAD's 404) with its body read. After a 401 it drops the
// token (unauthorized), asks for one again and sends once more (a token
// that expired meanwhile).
func (c *client) do(ctx context.Context, build func(ctx context.Context) (*http.Request, error)) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return 0, nil, fmt.Errorf("device token: %w", err)
		}
		req, err := build(ctx)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.http.Do(req)
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
		}
		if resp.StatusCode == http.StatusUnauthorized {
			c.unauthorized()
			if attempt == 0 {
				continue // the token expired: once more with a fresh one
			}
		}
		switch {
		case resp.StatusCode/100 == 2 || (req.Method == http.MethodHead && resp.StatusCode == http.StatusNotFound):
			return resp.StatusCode, body, nil
		}
		ae := &apiError{status: resp.StatusCode}
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil {
			ae.code, ae.message = e.Error.Code, e.Error.Message
		}
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, ae)
	}
}

// chainHead is the archive's GET /chain answer.
type chainHead struct {
	Recorder     string `json:"recorder_id"`
	Seq          int64  `json:"seq"`
	ManifestHash string `json:"manifest_hash"`
}

// chain asks where the archive's chain of this recorder stands.
func (c *client) chain(ctx context.Context) (chainHead, error) {
	ctx, cancel := context.WithTimeout(ctx, shortTimeout)
	defer cancel()
	_, body, err := c.do(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/chain", nil)
	})
	if err != nil {
		return chainHead{}, err
	}
	var h chainHead
	if err := json.Unmarshal(body, &h); err != nil || h.Recorder == "" || h.Seq < 0 {
		return chainHead{}, fmt.Errorf("GET /chain: answer %q: %v", body, err)
	}
	return h, nil
}

// has asks whether the archive holds the segment with store key key.
func (c *client) has(ctx context.Context, key string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, shortTimeout)
	defer cancel()
	status, _, err := c.do(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodHead, c.base+"/segments/"+key, nil)
	})
	if err != nil {
		return false, err
	}
	return status == http.StatusOK, nil
}

// put streams the file at path to the archive under key.
func (c *client) put(ctx context.Context, key, path string) error {
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	_, _, err := c.do(ctx, func(ctx context.Context) (*http.Request, error) {
		if f != nil {
			f.Close()
		}
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, fmt.Errorf("open segment: %w", err)
		}
		info, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("stat segment: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+"/segments/"+key, io.NopCloser(f))
		if err != nil {
			return nil, err
		}
		req.ContentLength = info.Size()
		req.Header.Set("Content-Type", "application/octet-stream")
		return req, nil
	})
	return err
}

// accepted is the archive's acknowledgement of a manifest.
type accepted struct {
	AlreadyAccepted bool `json:"already_accepted"`
	Segment         struct {
		Hash         string `json:"hash"`
		Seq          int64  `json:"seq"`
		ManifestHash string `json:"manifest_hash"`
	} `json:"segment"`
}

// post sends a manifest file's bytes, naming the segment's store key.
func (c *client) post(ctx context.Context, key string, raw []byte) (accepted, error) {
	ctx, cancel := context.WithTimeout(ctx, shortTimeout)
	defer cancel()
	_, body, err := c.do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost,
			c.base+"/manifests?segment="+url.QueryEscape(key), bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		req.ContentLength = int64(len(raw))
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	})
	if err != nil {
		return accepted{}, err
	}
	var a accepted
	if err := json.Unmarshal(body, &a); err != nil {
		return accepted{}, fmt.Errorf("POST /manifests: answer %q: %w", body, err)
	}
	return a, nil
}
