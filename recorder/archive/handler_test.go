package archive_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room/token"
)

// api is the upload API over a real HTTP server, with a token authority
// on its own clock.
type api struct {
	srv    *httptest.Server
	tokens *token.Authority
	clock  *testenv.Clock
}

func newAPI(t *testing.T, e *env) *api {
	t.Helper()
	clock := testenv.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	tokens, err := token.New(bytes.Repeat([]byte("k"), 32), 10*time.Minute, clock.Now)
	require.NoError(t, err)
	h, err := archive.NewHandler(archive.HandlerParams{Service: e.svc, Tokens: tokens})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &api{srv: srv, tokens: tokens, clock: clock}
}

// token mints a token for subject with role.
func (a *api) token(t *testing.T, subject string, role token.Role) string {
	t.Helper()
	g := token.Grants{Publish: true}
	if role != token.RoleDevice {
		g = token.Grants{Subscribe: true, Admin: true}
	}
	tok, _, err := a.tokens.Mint(token.Claims{Subject: subject, Session: "7", Room: "4", Role: role, Grants: g})
	require.NoError(t, err)
	return tok
}

// do sends a request with the token (none when empty) and returns the
// status and the error code of the JSON answer.
func (a *api) do(t *testing.T, method, path, tok string, body []byte) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := a.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(data) > 0 {
		require.NoError(t, json.Unmarshal(data, &out), string(data))
	}
	code := ""
	if e, ok := out["error"].(map[string]any); ok {
		code, _ = e["code"].(string)
		require.NotEmpty(t, e["message"])
	}
	return resp.StatusCode, code, out
}

func TestHandlerUploadsWithDeviceTokens(t *testing.T) {
	e := newEnv(t)
	a := newAPI(t, e)
	r := newRecorder(t, e, "edge-nj-1", 4, true)
	newRecorder(t, e, "edge-nj-2", 5, true)
	dev := a.token(t, "device:edge-nj-1", token.RoleDevice)
	s1 := r.segment(t, t0, 10*time.Second)
	s2 := r.segment(t, t0.Add(10*time.Second), 10*time.Second)
	s3 := r.segment(t, t0.Add(20*time.Second), 10*time.Second)

	// Resuming: the archive holds nothing yet.
	status, _, _ := a.do(t, http.MethodHead, "/segments/"+s1.hash, dev, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _, out := a.do(t, http.MethodGet, "/chain", dev, nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 0, out["seq"])

	// A manifest before its segment.
	status, code, _ := a.do(t, http.MethodPost, "/manifests", dev, s1.raw)
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "missing_segment", code)

	status, _, out = a.do(t, http.MethodPut, "/segments/"+s1.hash, dev, s1.data)
	require.Equal(t, http.StatusCreated, status)
	require.EqualValues(t, len(s1.data), out["size"])
	status, _, _ = a.do(t, http.MethodPut, "/segments/"+s1.hash, dev, s1.data)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = a.do(t, http.MethodHead, "/segments/"+s1.hash, dev, nil)
	require.Equal(t, http.StatusOK, status)

	status, _, out = a.do(t, http.MethodPost, "/manifests", dev, s1.raw)
	require.Equal(t, http.StatusCreated, status)
	require.Equal(t, false, out["already_accepted"])
	status, _, out = a.do(t, http.MethodPost, "/manifests", dev, s1.raw)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, out["already_accepted"])

	for _, s := range []seg{s2, s3} {
		status, _, _ = a.do(t, http.MethodPut, "/segments/"+s.hash, dev, s.data)
		require.Equal(t, http.StatusCreated, status)
	}
	tampered := bytes.Replace(s2.raw, []byte(`"truncated":false`), []byte(`"truncated":true`), 1)
	require.NotEqual(t, s2.raw, tampered)

	for _, tc := range []struct {
		name, method, path, tok string
		body                    []byte
		status                  int
		code                    string
	}{
		{"no token", http.MethodPut, "/segments/" + s2.hash, "", s2.data, http.StatusUnauthorized, "unauthenticated"},
		{"garbage token", http.MethodPost, "/manifests", "not-a-token", s2.raw, http.StatusUnauthorized, "unauthenticated"},
		{"staff token", http.MethodPost, "/manifests", a.token(t, "user:3", token.RoleStaff), s2.raw, http.StatusForbidden, "forbidden"},
		{"unregistered device", http.MethodPut, "/segments/" + key([]byte("x")), a.token(t, "device:edge-unknown", token.RoleDevice), []byte("x"), http.StatusForbidden, "unknown_recorder"},
		{"another device's manifest", http.MethodPost, "/manifests", a.token(t, "device:edge-nj-2", token.RoleDevice), s2.raw, http.StatusBadRequest, "invalid"},
		{"wrong hash", http.MethodPut, "/segments/" + key([]byte("other")), dev, []byte("segment bytes"), http.StatusUnprocessableEntity, "hash_mismatch"},
		{"path-like hash", http.MethodPut, "/segments/..%2F..%2Fetc%2Fpasswd", dev, []byte("x"), http.StatusBadRequest, "bad_hash"},
		{"upper-case hash", http.MethodPut, "/segments/" + strings.ToUpper(s2.hash), dev, s2.data, http.StatusBadRequest, "bad_hash"},
		{"too large", http.MethodPut, "/segments/" + key(make([]byte, 1<<20+1)), dev, make([]byte, 1<<20+1), http.StatusRequestEntityTooLarge, "too_large"},
		{"manifest too large", http.MethodPost, "/manifests", dev, make([]byte, archive.MaxManifestBytes+1), http.StatusRequestEntityTooLarge, "too_large"},
		{"malformed manifest", http.MethodPost, "/manifests", dev, []byte("{}"), http.StatusBadRequest, "invalid"},
		{"tampered manifest", http.MethodPost, "/manifests", dev, tampered, http.StatusUnprocessableEntity, "bad_signature"},
		{"gap in the chain", http.MethodPost, "/manifests", dev, s3.raw, http.StatusConflict, "broken_chain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, _ := a.do(t, tc.method, tc.path, tc.tok, tc.body)
			require.Equal(t, tc.status, status)
			require.Equal(t, tc.code, code)
			require.Equal(t, 1, e.count(t, "segments"))
		})
	}
	for _, body := range [][]byte{[]byte("segment bytes"), []byte("x"), make([]byte, 1<<20+1)} {
		status, _, _ = a.do(t, http.MethodHead, "/segments/"+key(body), dev, nil)
		require.Equal(t, http.StatusNotFound, status)
	}

	status, _, _ = a.do(t, http.MethodPost, "/manifests", dev, s2.raw)
	require.Equal(t, http.StatusCreated, status)
	status, _, out = a.do(t, http.MethodGet, "/chain", dev, nil)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 2, out["seq"])

	// Eleven minutes later the device token has expired.
	a.clock.Advance(11 * time.Minute)
	status, code, _ = a.do(t, http.MethodPost, "/manifests", dev, s3.raw)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "token_expired", code)
	status, _, _ = a.do(t, http.MethodHead, "/segments/"+s3.hash, dev, nil)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, 2, e.count(t, "segments"))
}
