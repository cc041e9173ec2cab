package archive

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/evalroom/evalroom/room/token"
)

// HandlerParams are the upload API's dependencies.
type HandlerParams struct {
	// Service is the archive. Required.
	Service *Service
	// Tokens verifies device tokens. Required.
	Tokens *token.Authority
	// Logger logs refusals; slog.Default() when nil.
	Logger *slog.Logger
}

// NewHandler returns the recorders' upload API, to be mounted with its
// prefix stripped (web mounts it under /archive). Every request carries
// "Authorization: Bearer <device token>" (role device, subject
// "device:<recorder id>"):
//
//   - PUT /segments/{hash}: the body is the segment's bytes, hash their
//     hex SHA-256. 201 stored, 200 already held; 422 when the bytes do not
//     hash to it (nothing is stored), 413 over the size limit.
//   - HEAD /segments/{hash}: 200 when the archive holds the bytes (indexed
//     or waiting for their manifest), 404 when not.
//   - POST /manifests[?segment=<sha256>]: the body is the manifest file. 201
//     accepted, 200 already accepted; 4xx otherwise. The segment query
//     names the segment's store key for an SM3 manifest.
//   - GET /chain: the recorder's chain head {"recorder_id", "seq",
//     "manifest_hash"} (seq 0 before the first acceptance).
//
// Errors are JSON {"error": {"code", "message"}} with Chinese messages.
// Errors: ErrInvalid for missing params.
func NewHandler(p HandlerParams) (http.Handler, error) {
	if p.Service == nil || p.Tokens == nil {
		return nil, fmt.Errorf("%w: archive handler needs Service and Tokens", ErrInvalid)
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	h := &handler{svc: p.Service, tokens: p.Tokens, log: p.Logger.With("component", "archive-http")}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /segments/{hash}", h.device(h.putSegment))
	mux.HandleFunc("HEAD /segments/{hash}", h.device(h.headSegment))
	mux.HandleFunc("POST /manifests", h.device(h.postManifest))
	mux.HandleFunc("GET /chain", h.device(h.getChain))
	return mux, nil
}

type handler struct {
	svc    *Service
	tokens *token.Authority
	log    *slog.Logger
}

// device authenticates the request's device token and passes the
// recorder id on.
func (h *handler) device(next func(w http.ResponseWriter, r *http.Request, recorder string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			h.fail(w, r, http.StatusUnauthorized, "unauthenticated", "缺少设备令牌", nil)
			return
		}
		c, err := h.tokens.Verify(tok)
		switch {
		case errors.Is(err, token.ErrExpired):
			h.fail(w, r, http.StatusUnauthorized, "token_expired", "设备令牌已过期，请重新获取", err)
			return
		case err != nil:
			h.fail(w, r, http.StatusUnauthorized, "unauthenticated", "设备令牌无效", err)
			return
		}
		recorder, ok := strings.CutPrefix(c.Subject, "device:")
		if c.Role != token.RoleDevice || !ok || recorder == "" {
			h.fail(w, r, http.StatusForbidden, "forbidden", "只有录像设备可以上传录像", fmt.Errorf("subject %q role %q", c.Subject, c.Role))
			return
		}
		next(w, r, recorder)
	}
}

func (h *handler) putSegment(w http.ResponseWriter, r *http.Request, recorder string) {
	hash := r.PathValue("hash")
	if err := CheckKey(hash); err != nil {
		h.error(w, r, err)
		return
	}
	if r.ContentLength > h.svc.MaxSegmentBytes() {
		h.error(w, r, fmt.Errorf("%w: Content-Length %d", ErrTooLarge, r.ContentLength))
		return
	}
	had, err := h.svc.HasSegment(r.Context(), hash)
	if err != nil {
		h.error(w, r, err)
		return
	}
	n, err := h.svc.PutSegment(r.Context(), recorder, hash, r.Body)
	if err != nil {
		h.error(w, r, err)
		return
	}
	status := http.StatusCreated
	if had {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"hash": hash, "size": n})
}

func (h *handler) headSegment(w http.ResponseWriter, r *http.Request, _ string) {
	ok, err := h.svc.HasSegment(r.Context(), r.PathValue("hash"))
	switch {
	case err != nil:
		status, _, _ := classify(err)
		w.WriteHeader(status)
	case ok:
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (h *handler) postManifest(w http.ResponseWriter, r *http.Request, recorder string) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxManifestBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		h.error(w, r, fmt.Errorf("%w: manifest over %d bytes", ErrTooLarge, MaxManifestBytes))
		return
	}
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "invalid", "读取清单失败", err)
		return
	}
	a, err := h.svc.AcceptManifestFor(r.Context(), recorder, r.URL.Query().Get("segment"), raw)
	if err != nil {
		h.error(w, r, err)
		return
	}
	status := http.StatusCreated
	if a.AlreadyAccepted {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"already_accepted": a.AlreadyAccepted, "segment": map[string]any{
		"hash": a.Segment.Hash, "seq": a.Segment.Seq, "manifest_hash": a.Segment.ManifestHash,
		"utc_start": a.Segment.Start.Format(time.RFC3339Nano), "utc_end": a.Segment.End.Format(time.RFC3339Nano),
		"state": a.Segment.State}})
}

func (h *handler) getChain(w http.ResponseWriter, r *http.Request, recorder string) {
	seq, link, err := h.svc.ChainHead(r.Context(), recorder)
	if err != nil {
		h.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"recorder_id": recorder, "seq": seq, "manifest_hash": link})
}
