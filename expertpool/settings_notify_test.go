package expertpool_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
)

// TestSendTestMessage: a test message reaches the gateway with the test
// text and is audited with the number masked; a bad number is refused
// beside its field and sends nothing; a gateway refusal is reported and
// audited as not delivered.
func TestSendTestMessage(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	var mu sync.Mutex
	var got []notify.Message
	status := http.StatusOK
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m notify.Message
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m)
		w.WriteHeader(status)
	}))
	t.Cleanup(gw.Close)
	p, err := notify.NewWebhookProvider(notify.WebhookParams{URL: gw.URL, Secret: "s3cret"})
	require.NoError(t, err)

	require.NoError(t, e.svc.SendTestMessage(ctx, "user:1", p, "13912345678"))
	require.Len(t, got, 1)
	require.Equal(t, "13912345678", got[0].To)
	require.Equal(t, expertpool.TestMessageText, got[0].Text)
	require.Equal(t, "test", got[0].Kind)

	err = e.svc.SendTestMessage(ctx, "user:1", p, "12345")
	require.ErrorIs(t, err, expertpool.ErrInvalid)
	require.Equal(t, "mobile", errtext.FieldOf(err))
	require.Len(t, got, 1, "nothing sent")

	status = http.StatusBadRequest
	require.Error(t, e.svc.SendTestMessage(ctx, "user:1", p, "13912345678"))

	entries, err := e.audit.List(ctx, audit.Filter{Action: "notify.test"})
	require.NoError(t, err)
	require.Len(t, entries, 2)
	var d struct {
		Mobile    string `json:"mobile_masked"`
		Delivered bool   `json:"delivered"`
	}
	require.NoError(t, json.Unmarshal(entries[0].Detail, &d))
	require.True(t, d.Delivered)
	require.NotContains(t, string(entries[0].Detail), "13912345678")
	require.NoError(t, json.Unmarshal(entries[1].Detail, &d))
	require.False(t, d.Delivered)
}
