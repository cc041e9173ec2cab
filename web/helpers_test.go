package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The expert pool's types satisfy the web layer's narrow interfaces.
var (
	_ web.ExpertPool      = (*expertpool.Service)(nil)
	_ web.CallbackHandler = (*expertpool.Notifier)(nil)
	_ web.Pinger          = (*pgxpool.Pool)(nil)
)

// testStart is where every test clock starts: a Sunday morning, UTC.
var testStart = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)

const gatewaySecret = "gateway-test-secret"

const testPassword = "correct horse"

// env is one test's API server on its own database.
type env struct {
	srv   *web.Server
	url   string
	db    *pgxpool.Pool
	auth  *auth.Store
	audit *audit.Log
	pool  *expertpool.Service
	keys  *seal.Keys
	clock *testenv.Clock
}

// newEnv migrates a fresh database and serves the API on it, with a fake
// clock shared by every part. The server checks gateway signatures itself.
func newEnv(t *testing.T) *env { return buildEnv(t, false, nil) }

// newEnvWithNotifier is newEnv with a running notification pipeline (on
// the test Redis, delivering to the log) that handles gateway callbacks,
// as evalroomd wires it.
func newEnvWithNotifier(t *testing.T) *env { return buildEnv(t, true, nil) }

// buildEnv builds the env; extend, when not nil, completes the server's
// Params from the env's parts before the server starts.
func buildEnv(t *testing.T, notifier bool, extend func(e *env, p *web.Params)) *env {
	t.Helper()
	db := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), db, audit.Migrations, auth.Migrations, expertpool.Migrations)
	require.NoError(t, err)
	keys, err := seal.ParseKey(seal.GenerateKey())
	require.NoError(t, err)
	clock := testenv.NewClock(testStart)
	log := audit.New(db, audit.WithClock(clock.Now))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool, err := expertpool.New(expertpool.Params{DB: db, Audit: log, Keys: keys, Now: clock.Now, Logger: quiet})
	require.NoError(t, err)
	store := auth.NewStore(db, auth.WithClock(clock.Now), auth.WithAudit(log),
		auth.WithHashParams(auth.HashParams{Memory: 1024, Time: 1, Threads: 1}))
	e := &env{db: db, auth: store, audit: log, pool: pool, keys: keys, clock: clock}
	p := web.Params{
		Auth: store, Audit: log, Pool: pool, GatewaySecret: gatewaySecret,
		Checks: map[string]web.Pinger{"postgres": db},
		Logger: quiet, Now: clock.Now,
	}
	if notifier {
		r := testenv.Redis(t)
		n, err := pool.StartNotifier(context.Background(), expertpool.NotifierParams{
			Redis: r.Client, Prefix: r.Prefix, Provider: &notify.LogProvider{Logger: quiet},
			DeadlineInterval: -1, CallbackSecret: gatewaySecret,
		})
		require.NoError(t, err)
		t.Cleanup(func() { n.Close() })
		p.Callbacks = n
	}
	if extend != nil {
		extend(e, &p)
	}
	e.srv, err = web.New(p)
	require.NoError(t, err)
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

// user creates a user with role (staff at venue "V1", evaluators in
// session "S1").
func (e *env) user(t *testing.T, name string, role auth.Role) auth.User {
	t.Helper()
	venueOrRef := "V1"
	if role == auth.RoleEvaluator {
		venueOrRef = "S1"
	}
	return e.userAt(t, name, role, venueOrRef)
}

// userAt creates a user with role and venue (staff) or session ref
// (evaluators).
func (e *env) userAt(t *testing.T, name string, role auth.Role, venueOrRef string) auth.User {
	t.Helper()
	in := auth.UserInput{Username: name, DisplayName: name, Password: testPassword, Role: string(role)}
	switch role {
	case auth.RoleStaff:
		in.VenueCode = venueOrRef
	case auth.RoleEvaluator:
		in.SessionRef = venueOrRef
	}
	u, err := e.auth.CreateUser(context.Background(), "cli", in)
	require.NoError(t, err)
	return u
}

// client is a browser: it keeps cookies and sends the CSRF header.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf bool
	user string
}

func (e *env) anon(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, base: e.url, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, csrf: true}
}

// login creates a user with role and returns a client logged in as it.
func (e *env) login(t *testing.T, name string, role auth.Role) (*client, auth.User) {
	t.Helper()
	u := e.user(t, name, role)
	return e.loggedIn(t, name), u
}

// loginAt is login with the venue (staff) or session ref (evaluators)
// given.
func (e *env) loginAt(t *testing.T, name string, role auth.Role, venueOrRef string) (*client, auth.User) {
	t.Helper()
	u := e.userAt(t, name, role, venueOrRef)
	return e.loggedIn(t, name), u
}

// loggedIn returns a client logged in as the user name.
func (e *env) loggedIn(t *testing.T, name string) *client {
	c := e.anon(t)
	c.user = name
	c.relogin()
	return c
}

// relogin logs in again (after the test clock moved past the session's
// lifetime).
func (c *client) relogin() {
	c.t.Helper()
	c.call(http.MethodPost, "/api/login", map[string]string{"username": c.user, "password": testPassword}, http.StatusOK, nil)
}

// raw sends body (a string is sent as is, anything else as JSON) and
// returns the status and the response body.
func (c *client) raw(method, path string, body any, header ...string) (int, []byte, http.Header) {
	c.t.Helper()
	var r io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(c.t, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.csrf {
		req.Header.Set("X-Requested-With", "test")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, out, resp.Header
}

// call sends a JSON request, requires status want and decodes the answer
// into out (when not nil).
func (c *client) call(method, path string, body any, want int, out any) []byte {
	c.t.Helper()
	status, b, _ := c.raw(method, path, body)
	require.Equal(c.t, want, status, "%s %s: %s", method, path, b)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(b, out), string(b))
	}
	return b
}

// apiErr is the error body.
type apiErr struct {
	Error struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Funnel  json.RawMessage `json:"funnel"`
		Rows    json.RawMessage `json:"rows"`
		Field   string          `json:"field"`
	} `json:"error"`
}

// fail sends a request that must fail with status and code and returns
// the error body.
func (c *client) fail(method, path string, body any, status int, code string) apiErr {
	c.t.Helper()
	var e apiErr
	c.call(method, path, body, status, &e)
	require.Equal(c.t, code, e.Error.Code, e.Error.Message)
	require.NotEmpty(c.t, e.Error.Message)
	return e
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func ioCopy(w io.Writer, resp *http.Response) (int64, error) { return io.Copy(w, resp.Body) }
