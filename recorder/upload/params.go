package upload

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Params.
const (
	// DefaultInterval is how often the spool is scanned again.
	DefaultInterval = 2 * time.Second
	// DefaultMaxBackoff is the longest wait after a fault, and the wait
	// after a refusal.
	DefaultMaxBackoff = 30 * time.Second
)

// Params configure an Uploader.
type Params struct {
	// Dir is the spool: segments <name>.mp4 and their manifests
	// (manifest.ManifestName) written by the recorder. Required.
	Dir string
	// Endpoint is the archive API's base URL, e.g.
	// http://127.0.0.1:8080/archive. Required.
	Endpoint string
	// Token returns a device token (cmd wires recorder/devauth). It is
	// called before each request; after the archive answers 401 it is
	// called again (after OnUnauthorized) and must then return a fresh
	// token. Required.
	Token func(ctx context.Context) (string, error)
	// OnUnauthorized, when set, is called when the archive answers 401
	// (token expired or refused), before Token is asked again: cmd wires
	// devauth.Client.Invalidate so that Token fetches a new one. It must
	// not block.
	OnUnauthorized func()
	// HTTP sends the requests; http.DefaultClient when nil.
	HTTP *http.Client
	// QuotaBytes limits the spool's size: above it acknowledged segments
	// are deleted, oldest first. Zero means no limit (nothing is deleted).
	QuotaBytes int64
	// Interval is the rescan interval; DefaultInterval when zero.
	Interval time.Duration
	// MaxBackoff caps the wait after faults and is the wait after a
	// refusal; DefaultMaxBackoff when zero.
	MaxBackoff time.Duration
	// Now stamps Status.LastUpload; time.Now when nil.
	Now func() time.Time
	// Logger; slog.Default() when nil.
	Logger *slog.Logger
}

func (p *Params) normalize() error {
	switch {
	case p.Dir == "":
		return fmt.Errorf("%w: Dir is required", ErrInvalid)
	case p.Token == nil:
		return fmt.Errorf("%w: Token is required", ErrInvalid)
	case p.QuotaBytes < 0 || p.Interval < 0 || p.MaxBackoff < 0:
		return fmt.Errorf("%w: QuotaBytes, Interval and MaxBackoff must not be negative", ErrInvalid)
	}
	u, err := url.Parse(p.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: Endpoint %q is not an http(s) URL", ErrInvalid, p.Endpoint)
	}
	p.Endpoint = strings.TrimSuffix(p.Endpoint, "/")
	if p.OnUnauthorized == nil {
		p.OnUnauthorized = func() {}
	}
	if p.HTTP == nil {
		p.HTTP = http.DefaultClient
	}
	if p.Interval == 0 {
		p.Interval = DefaultInterval
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	if p.MaxBackoff < p.Interval {
		p.MaxBackoff = p.Interval
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	return nil
}

// Status is what the uploader reports for health pages and logs.
type Status struct {
	// Pending counts the manifests not yet acknowledged by the archive.
	Pending int
	// PendingBytes is the size of their segments.
	PendingBytes int64
	// AckedSeq is the highest seq the archive acknowledged.
	AckedSeq int64
	// LastUpload is when the last manifest was acknowledged; zero before.
	LastUpload time.Time
	// LastError is the last passing fault (network, server error), ""
	// after a pass without one.
	LastError string
	// Alarm, in Chinese, is what needs a person: a refusal, diverged
	// chains, a spool over its quota with nothing it may delete. "" when
	// all is well.
	Alarm string
	// SpoolBytes is the spool's size; FreeBytes the free space of its
	// file system (-1 when unknown).
	SpoolBytes, FreeBytes int64
}
