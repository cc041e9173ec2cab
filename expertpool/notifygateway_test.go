package expertpool_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/stretchr/testify/require"
)

const gatewaySecret = "gateway-shared-secret"

// fakeGateway is a real HTTP server standing for the voice/SMS gateway:
// it checks each request's signature and records what it got.
type fakeGateway struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests map[string]int // per Idempotency-Key
	byKey    map[string]notify.Message
	order    []notify.Message
	badSigs  int
	status   func(m notify.Message) int
	delay    time.Duration
	gate     chan struct{} // when set, requests wait until it is closed
	waiting  int           // requests waiting at the gate
}

func newFakeGateway(t testing.TB) *fakeGateway {
	g := &fakeGateway{requests: map[string]int{}, byKey: map[string]notify.Message{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	delay, status, gate := g.delay, g.status, g.gate
	g.waiting++
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	var m notify.Message
	sigErr := notify.VerifySignature(gatewaySecret, r.Header.Get(notify.SignatureHeader), body, time.Now(), time.Minute)
	jsonErr := json.Unmarshal(body, &m)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waiting--
	key := r.Header.Get(notify.IdempotencyHeader)
	g.requests[key]++
	if sigErr != nil || jsonErr != nil || key != m.ID {
		g.badSigs++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	code := http.StatusOK
	if status != nil {
		code = status(m)
	}
	if code < 300 {
		if _, dup := g.byKey[key]; !dup {
			g.order = append(g.order, m)
		}
		g.byKey[key] = m
	}
	w.WriteHeader(code)
}

func (g *fakeGateway) provider(t testing.TB) notify.Provider {
	p, err := notify.NewWebhookProvider(notify.WebhookParams{URL: g.srv.URL, Secret: gatewaySecret, Timeout: 5 * time.Second})
	require.NoError(t, err)
	return p
}

func (g *fakeGateway) setStatus(f func(notify.Message) int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.status = f
}

// holdRequests makes requests wait until the returned func is called.
func (g *fakeGateway) holdRequests() (release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
	gate := g.gate
	return func() { close(gate) }
}

// inFlight returns how many requests are waiting at the gate.
func (g *fakeGateway) inFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// snapshot returns copies of the request counts and accepted messages.
func (g *fakeGateway) snapshot() (map[string]int, map[string]notify.Message, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	req := make(map[string]int, len(g.requests))
	for k, v := range g.requests {
		req[k] = v
	}
	acc := make(map[string]notify.Message, len(g.byKey))
	for k, v := range g.byKey {
		acc[k] = v
	}
	return req, acc, g.badSigs
}

// accepted returns the accepted messages in the order they came.
func (g *fakeGateway) accepted() []notify.Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]notify.Message(nil), g.order...)
}

// messagesTo returns the accepted messages to one mobile, in order.
func (g *fakeGateway) messagesTo(mobile string) []notify.Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []notify.Message
	for _, m := range g.order {
		if m.To == mobile {
			out = append(out, m)
		}
	}
	return out
}

// signedCallback returns the body and signature header of a callback for
// a keypress on message id.
func signedCallback(t testing.TB, id, key string, at time.Time) ([]byte, string) {
	body, err := json.Marshal(map[string]string{"message_id": id, "key": key})
	require.NoError(t, err)
	return body, notify.Sign(gatewaySecret, at, body)
}

// tokenOf returns the t parameter of a confirmation link.
func tokenOf(link string) string {
	_, tok, _ := strings.Cut(link, "t=")
	return tok
}
