package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/stretchr/testify/require"
)

func TestWebhookProviderSignsAndClassifiesAnswers(t *testing.T) {
	msg := notify.Message{ID: "outbox:42", To: "13812345678", Text: "您好", Kind: "invite", Meta: map[string]string{"keys": "123"}}
	cases := []struct {
		name      string
		status    int
		ok        bool
		permanent bool
	}{
		{"accepted", http.StatusOK, true, false},
		{"accepted later", http.StatusAccepted, true, false},
		{"server error is retried", http.StatusBadGateway, false, false},
		{"rate limited is retried", http.StatusTooManyRequests, false, false},
		{"bad request is permanent", http.StatusBadRequest, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got notify.Message
			var sigErr error
			var key string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				key = r.Header.Get(notify.IdempotencyHeader)
				sigErr = notify.VerifySignature("gw-secret", r.Header.Get(notify.SignatureHeader), body, time.Now(), time.Minute)
				_ = json.Unmarshal(body, &got)
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			p, err := notify.NewWebhookProvider(notify.WebhookParams{URL: srv.URL, Secret: "gw-secret", Timeout: 5 * time.Second})
			require.NoError(t, err)
			err = p.Send(context.Background(), msg)
			require.NoError(t, sigErr, "gateway can verify the signature")
			require.Equal(t, "outbox:42", key)
			require.Equal(t, msg, got)
			switch {
			case tc.ok:
				require.NoError(t, err)
			case tc.permanent:
				require.True(t, notify.IsPermanent(err), "%v", err)
			default:
				require.Error(t, err)
				require.False(t, notify.IsPermanent(err), "%v", err)
			}
		})
	}
}

func TestWebhookProviderNeedsURLAndSecret(t *testing.T) {
	_, err := notify.NewWebhookProvider(notify.WebhookParams{URL: "http://x"})
	require.ErrorIs(t, err, notify.ErrMissingParam)
}
