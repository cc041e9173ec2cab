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

// TestDrawNotifyAnswerReplaceEndToEnd: a real draw → the gateway receives
// signed invitations → callback "2" → a replacement is drawn and invited
// → callback "1" → confirmed; a deadline passing → released and replaced.
func TestDrawNotifyAnswerReplaceEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	e := newEnv(t, nil)
	ctx := context.Background()
	project := e.addProject(t)
	e.addExperts(t, 8, fixExpert{})
	gw := newFakeGateway(t)
	r := testenv.Redis(t)
	n := startNotifier(t, e, fastNotifier(r.Client, r.Prefix, gw.provider(t)))

	res, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart, "A0101", "11", 5))
	require.NoError(t, err)
	require.Equal(t, 5, res.Notified)
	n.Wake()
	waitOutbox(t, e)

	_, acc, bad := gw.snapshot()
	require.Zero(t, bad, "every message is signed")
	require.Len(t, acc, 5)
	invited := map[string]notify.Message{}
	for _, m := range acc {
		require.Equal(t, "invite", m.Kind)
		require.Contains(t, m.Text, "2026年11月25日 09:00")
		require.Contains(t, m.Text, "北京主场")
		require.Contains(t, m.Text, "北京市西城区")
		require.Contains(t, m.Text, "请于2026年11月22日 09:30前答复")
		for _, never := range []string{"投标人甲", "投标人乙", bidderOrg, bidder2Org, "测试项目"} {
			require.NotContains(t, m.Text, never)
		}
		invited[m.To] = m
	}
	require.Len(t, invited, 5, "five different experts")

	// The first expert presses 2: a replacement is drawn and invited.
	order := gw.accepted()
	first := order[0]
	body, sig := signedCallback(t, first.ID, "2", time.Now())
	ans, err := n.HandleCallback(ctx, sig, body)
	require.NoError(t, err)
	require.Equal(t, "declined", ans.State)
	require.NotZero(t, ans.ReplacementID)
	waitOutbox(t, e)
	_, acc, _ = gw.snapshot()
	require.Len(t, acc, 6)
	var repl notify.Message
	for _, m := range acc {
		if _, old := invited[m.To]; !old {
			repl = m
		}
	}
	require.Equal(t, "invite", repl.Kind, "the replacement, someone not drawn before, is invited")

	// The replacement presses 1: confirmed, and told so.
	body, sig = signedCallback(t, repl.ID, "1", time.Now())
	ans2, err := n.HandleCallback(ctx, sig, body)
	require.NoError(t, err)
	require.Equal(t, "confirmed", ans2.State)
	require.Equal(t, ans.ReplacementID, ans2.MemberID)
	waitOutbox(t, e)
	got := gw.messagesTo(repl.To)
	require.Equal(t, "confirmed", got[len(got)-1].Kind)

	// Three more accept by link; the last says nothing until the deadline.
	var silent notify.Message
	i := 0
	for _, m := range order[1:5] {
		if i == 3 {
			silent = m
			break
		}
		_, err := e.svc.AnswerByLink(ctx, tokenOf(m.Link), true, "")
		require.NoError(t, err)
		i++
	}
	e.clock.Advance(31 * time.Minute)
	expired, err := e.svc.ExpireDeadlines(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, expired)
	n.Wake()
	waitOutbox(t, e)
	got = gw.messagesTo(silent.To)
	require.Equal(t, "released", got[len(got)-1].Kind, "the silent expert is told the invitation lapsed")
	_, acc, _ = gw.snapshot()
	invites := 0
	for _, m := range acc {
		if m.Kind == "invite" {
			invites++
		}
	}
	require.Equal(t, 7, invites, "a second replacement was invited")

	// A late "1" from the silent expert is refused.
	body, sig = signedCallback(t, silent.ID, "1", time.Now())
	_, err = n.HandleCallback(ctx, sig, body)
	require.ErrorIs(t, err, expertpool.ErrAnswerClosed)
}
