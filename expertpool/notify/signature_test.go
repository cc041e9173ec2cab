package notify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"message_id":"outbox:1","key":"1"}`)
	good := notify.Sign("s3cret", t0, body)
	cases := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"valid", "s3cret", good, body, t0.Add(time.Minute), true},
		{"valid a little early", "s3cret", good, body, t0.Add(-time.Minute), true},
		{"other secret", "other", good, body, t0, false},
		{"changed body", "s3cret", good, []byte(`{"message_id":"outbox:1","key":"2"}`), t0, false},
		{"expired", "s3cret", good, body, t0.Add(6 * time.Minute), false},
		{"from the future", "s3cret", good, body, t0.Add(-6 * time.Minute), false},
		{"forged mac", "s3cret", fmt.Sprintf("t=%d,v1=%064x", t0.Unix(), 0), body, t0, false},
		{"short mac", "s3cret", fmt.Sprintf("t=%d,v1=00", t0.Unix()), body, t0, false},
		{"no v1", "s3cret", "t=1795309200", body, t0, false},
		{"garbage", "s3cret", "hello", body, t0, false},
		{"empty", "s3cret", "", body, t0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := notify.VerifySignature(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, notify.ErrBadSignature)
			}
		})
	}
}

func TestCallbackVerifierRefusesReplays(t *testing.T) {
	r := testenv.Redis(t)
	now := t0
	v := &notify.CallbackVerifier{Secret: "s3cret", Redis: r.Client, Prefix: r.Prefix, Now: func() time.Time { return now }}
	ctx := context.Background()
	body := []byte(`{"message_id":"outbox:7","key":"2"}`)
	header := notify.Sign("s3cret", t0, body)

	require.NoError(t, v.Verify(ctx, header, body), "first use")
	require.ErrorIs(t, v.Verify(ctx, header, body), notify.ErrBadSignature, "replay")
	require.ErrorIs(t, v.Verify(ctx, notify.Sign("forged", t0, body), body), notify.ErrBadSignature, "forged")
	now = t0.Add(10 * time.Minute)
	require.ErrorIs(t, v.Verify(ctx, notify.Sign("s3cret", t0.Add(time.Second), body), body), notify.ErrBadSignature, "expired")
	require.NoError(t, v.Verify(ctx, notify.Sign("s3cret", now, body), body), "fresh signature of the same body")
}

func TestExponentialBackoffGrowsAndCaps(t *testing.T) {
	full := notify.ExponentialBackoff(time.Second, 8*time.Second, func() float64 { return 0.999999 })
	none := notify.ExponentialBackoff(time.Second, 8*time.Second, func() float64 { return 0 })
	cases := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{10, 4 * time.Second, 8 * time.Second},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("attempt %d", tc.attempt), func(t *testing.T) {
			require.Equal(t, tc.min, none(tc.attempt))
			require.InDelta(t, float64(tc.max), float64(full(tc.attempt)), float64(time.Millisecond))
		})
	}
}

func TestMaskMobile(t *testing.T) {
	require.Equal(t, "138****5678", notify.MaskMobile("13812345678"))
	require.Equal(t, "****", notify.MaskMobile("1234"))
}
