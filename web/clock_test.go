package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/media/clock"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

// clockServer serves the API with the clock now and nothing else that the
// clock exchange does not need.
func clockServer(t *testing.T, now func() time.Time) string {
	t.Helper()
	srv, err := web.New(web.Params{Auth: auth.NewStore(nil), Audit: audit.New(nil), Pool: (*expertpool.Service)(nil), Now: now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestClockExchangeOverHTTP measures, over real HTTP, the offset of the
// server's clock from this machine's: about zero when the server reads the
// same clock, about 7.3 s when it runs 7.3 s ahead, each within the
// reported uncertainty.
func TestClockExchangeOverHTTP(t *testing.T) {
	for _, skew := range []time.Duration{0, 7300 * time.Millisecond, -2 * time.Second} {
		t.Run(fmt.Sprint(skew), func(t *testing.T) {
			url := clockServer(t, func() time.Time { return time.Now().Add(skew) })
			ex, err := clock.NewHTTPExchanger(url, nil)
			require.NoError(t, err)
			s, err := clock.NewSync(ex, clock.WithBurst(4))
			require.NoError(t, err)
			defer s.Close()
			for range 3 {
				est, err := s.Measure(context.Background())
				require.NoError(t, err)
				d := est.Offset - skew
				require.LessOrEqual(t, max(d, -d), est.Uncertainty, "offset %s, uncertainty %s", est.Offset, est.Uncertainty)
				got := s.Now().Sub(time.Now().Add(skew))
				require.LessOrEqual(t, max(got, -got), est.Uncertainty+time.Millisecond, "Now")
				t.Logf("offset %s (true %s), uncertainty %s", est.Offset, skew, est.Uncertainty)
			}
		})
	}
}

// TestClockExchangeLimits: the exchange needs no login and no CSRF
// header, refuses a body without t1, and answers at most 20 a second per
// client address.
func TestClockExchangeLimits(t *testing.T) {
	c := testenv.NewClock(testStart)
	url := clockServer(t, c.Now) + clock.ExchangePath
	post := func(body string) (int, clock.Wire) {
		resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var w clock.Wire
		_ = json.NewDecoder(resp.Body).Decode(&w)
		return resp.StatusCode, w
	}
	status, _ := post(`{}`)
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = post(`{"t1": "now"}`)
	require.Equal(t, http.StatusBadRequest, status)
	for i := 2; i < 20; i++ {
		status, w := post(`{"t1": 12345}`)
		require.Equal(t, http.StatusOK, status, "request %d", i)
		require.Equal(t, clock.Wire{T1: 12345, T2: testStart.UnixNano(), T3: testStart.UnixNano()}, w)
	}
	status, _ = post(`{"t1": 12345}`)
	require.Equal(t, http.StatusTooManyRequests, status)
	c.Advance(100 * time.Millisecond) // two tokens back
	for range 2 {
		status, _ = post(`{"t1": 12345}`)
		require.Equal(t, http.StatusOK, status)
	}
	status, _ = post(`{"t1": 12345}`)
	require.Equal(t, http.StatusTooManyRequests, status)
}
