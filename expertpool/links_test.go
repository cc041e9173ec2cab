package expertpool_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestConfirmURL(t *testing.T) {
	require.Equal(t, "https://x.example/confirm?t=abc.def", expertpool.ConfirmURL("https://x.example/confirm", "abc.def"))
	require.Equal(t, "https://x.example/c?lang=zh&t=abc", expertpool.ConfirmURL("https://x.example/c?lang=zh", "abc"))
}

func TestConfirmationLinkIsSignedSingleUseAndExpires(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 2)
	ctx := context.Background()
	tok, err := e.svc.IssueLinkToken(ctx, f.Members[0])
	require.NoError(t, err)
	other := newEnv(t, nil) // another master key
	otherFix := seedNotifyDraw(t, other, 1)
	foreign, err := other.svc.IssueLinkToken(ctx, otherFix.Members[0])
	require.NoError(t, err)

	info, err := e.svc.LinkInfo(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, fixtureVenue, info.VenueName)
	require.Equal(t, fixtureAddress, info.VenueAddress)
	require.True(t, info.CanAnswer)
	require.Contains(t, info.Text, "2026年11月25日 09:00")
	for _, b := range f.Bidders {
		require.NotContains(t, info.Text, b[0])
		require.NotContains(t, info.Text, b[1])
	}

	payload, sig, _ := strings.Cut(tok, ".")
	cases := []struct {
		name  string
		token string
	}{
		{"other key", foreign},
		{"garbage", "not-a-token"},
		{"cut signature", payload + "." + sig[:10]},
		{"swapped payload", strings.Split(foreign, ".")[0] + "." + sig},
		{"empty", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.AnswerByLink(ctx, tc.token, true, "")
			require.ErrorIs(t, err, expertpool.ErrBadSignature)
			_, err = e.svc.LinkInfo(ctx, tc.token)
			require.ErrorIs(t, err, expertpool.ErrBadSignature)
		})
	}
	require.Equal(t, "notified", memberState(t, e, f.Members[0]), "forged links change nothing")

	_, err = e.svc.AnswerByLink(ctx, tok, false, "")
	require.ErrorIs(t, err, expertpool.ErrInvalid, "a decline by link needs a reason")
	res, err := e.svc.AnswerByLink(ctx, tok, true, "")
	require.NoError(t, err)
	require.Equal(t, "confirmed", res.State)
	require.Equal(t, "confirmed", memberState(t, e, f.Members[0]))

	_, err = e.svc.AnswerByLink(ctx, tok, true, "")
	require.ErrorIs(t, err, expertpool.ErrBadSignature, "replayed link")
	_, err = e.svc.LinkInfo(ctx, tok)
	require.ErrorIs(t, err, expertpool.ErrBadSignature, "used link")

	tok2, err := e.svc.IssueLinkToken(ctx, f.Members[1])
	require.NoError(t, err)
	e.clock.Set(f.Deadline.Add(time.Second))
	_, err = e.svc.AnswerByLink(ctx, tok2, true, "")
	require.ErrorIs(t, err, expertpool.ErrBadSignature, "expired link")
	require.Equal(t, "notified", memberState(t, e, f.Members[1]))
}
