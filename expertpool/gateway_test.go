package expertpool_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/stretchr/testify/require"
)

func TestGatewayCallback(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 3)
	gw := newFakeGateway(t)
	r := testenv.Redis(t)
	n := startNotifier(t, e, fastNotifier(r.Client, r.Prefix, gw.provider(t)))
	waitOutbox(t, e)
	ctx := context.Background()
	msg := func(i int) string { return "outbox:" + itoa(f.Invites[i]) }

	t.Run("bad callbacks change nothing", func(t *testing.T) {
		body, _ := signedCallback(t, msg(0), "1", time.Now())
		key9, key9Sig := signedCallback(t, msg(0), "9", time.Now())
		unknown, unknownSig := signedCallback(t, "outbox:999999", "1", time.Now())
		cases := []struct {
			name   string
			body   []byte
			header string
			want   error
		}{
			{"forged", body, notify.Sign("not-the-secret", time.Now(), body), expertpool.ErrBadSignature},
			{"expired", body, notify.Sign(gatewaySecret, time.Now().Add(-time.Hour), body), expertpool.ErrBadSignature},
			{"no signature", body, "", expertpool.ErrBadSignature},
			{"not json", []byte("key=1"), notify.Sign(gatewaySecret, time.Now(), []byte("key=1")), expertpool.ErrInvalid},
			{"unknown key", key9, key9Sig, expertpool.ErrInvalid},
			{"unknown message", unknown, unknownSig, expertpool.ErrNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := n.HandleCallback(ctx, tc.header, tc.body)
				require.ErrorIs(t, err, tc.want)
				require.Equal(t, "notified", memberState(t, e, f.Members[0]))
			})
		}
	})

	t.Run("1 confirms once", func(t *testing.T) {
		body, sig := signedCallback(t, msg(0), "1", time.Now())
		res, err := n.HandleCallback(ctx, sig, body)
		require.NoError(t, err)
		require.Equal(t, "confirmed", res.State)
		require.Equal(t, "confirmed", memberState(t, e, f.Members[0]))
		_, err = n.HandleCallback(ctx, sig, body)
		require.ErrorIs(t, err, expertpool.ErrBadSignature, "replayed callback")
		body, sig = signedCallback(t, msg(0), "1", time.Now().Add(time.Second))
		_, err = n.HandleCallback(ctx, sig, body)
		require.ErrorIs(t, err, expertpool.ErrAnswerClosed, "a second answer is refused by the database")
		waitOutbox(t, e)
		got := gw.messagesTo(f.Mobiles[0])
		require.Equal(t, "confirmed", got[len(got)-1].Kind)
	})

	t.Run("3 repeats the invitation", func(t *testing.T) {
		body, sig := signedCallback(t, msg(1), "3", time.Now())
		res, err := n.HandleCallback(ctx, sig, body)
		require.NoError(t, err)
		require.Equal(t, "notified", res.State)
		waitOutbox(t, e)
		got := gw.messagesTo(f.Mobiles[1])
		require.Len(t, got, 2)
		require.Equal(t, "repeat", got[1].Kind)
		require.Contains(t, got[1].Text, "按1确认参加，按2拒绝，按3重听")
	})

	t.Run("2 declines and draws a replacement", func(t *testing.T) {
		body, sig := signedCallback(t, msg(2), "2", time.Now())
		res, err := n.HandleCallback(ctx, sig, body)
		require.NoError(t, err)
		require.Equal(t, "declined", res.State)
		var reason string
		require.NoError(t, e.db.QueryRow(ctx, `SELECT decline_reason FROM expertpool.members WHERE id = $1`, f.Members[2]).Scan(&reason))
		require.Equal(t, "按键2", reason)
	})
}
