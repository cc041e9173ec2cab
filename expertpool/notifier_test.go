package expertpool_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// fastNotifier is the pipeline with short pauses, on the real clock (the
// service keeps its fake one for deadlines).
func fastNotifier(rdb *redis.Client, prefix string, p notify.Provider) expertpool.NotifierParams {
	return expertpool.NotifierParams{
		Redis: rdb, Prefix: prefix, Provider: p, Workers: 3,
		LinkBaseURL:  "https://evalroom.example/confirm",
		MaxAttempts:  3,
		Backoff:      notify.ExponentialBackoff(20*time.Millisecond, 100*time.Millisecond, nil),
		PollInterval: 50 * time.Millisecond, Block: 100 * time.Millisecond, RetryPoll: 20 * time.Millisecond,
		RedeliverAfter: time.Second, Lease: 5 * time.Second, ClaimIdle: 2 * time.Second,
		DeadlineInterval: -1,
		CallbackSecret:   gatewaySecret,
		Now:              time.Now,
	}
}

func startNotifier(t *testing.T, e *env, p expertpool.NotifierParams) *expertpool.Notifier {
	t.Helper()
	n, err := e.svc.StartNotifier(context.Background(), p)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

// waitOutbox waits until no outbox row is left to deliver.
func waitOutbox(t *testing.T, e *env) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, e.db.QueryRow(context.Background(),
			`SELECT count(*) FROM expertpool.outbox WHERE delivered_at IS NULL AND NOT dead`).Scan(&n))
		return n == 0
	}, 30*time.Second, 20*time.Millisecond)
}

func TestNotifierDeliversEveryMessageOnceSigned(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 12)
	gw := newFakeGateway(t)
	r := testenv.Redis(t)
	n := startNotifier(t, e, fastNotifier(r.Client, r.Prefix, gw.provider(t)))
	waitOutbox(t, e)
	n.Close()

	req, acc, bad := gw.snapshot()
	require.Zero(t, bad, "every request is signed")
	require.Len(t, acc, len(f.Members))
	for i, id := range f.Invites {
		key := "outbox:" + itoa(id)
		require.Equal(t, 1, req[key], "message %s reaches the gateway once", key)
		m := acc[key]
		require.Equal(t, f.Mobiles[i], m.To)
		require.Equal(t, "invite", m.Kind)
		require.Contains(t, m.Text, fixtureVenue)
		require.Contains(t, m.Text, m.Link)
		for _, b := range f.Bidders {
			require.NotContains(t, m.Text, b[1])
		}
	}
	st, err := e.svc.NotificationStats(context.Background(), f.DrawID)
	require.NoError(t, err)
	require.Equal(t, expertpool.NotificationStats{DrawID: f.DrawID, Total: 12, Delivered: 12}, st)

	// The link in the message confirms the member, once.
	link := acc["outbox:"+itoa(f.Invites[0])].Link
	res, err := e.svc.AnswerByLink(context.Background(), tokenOf(link), true, "")
	require.NoError(t, err)
	require.Equal(t, "confirmed", res.State)
	_, err = e.svc.AnswerByLink(context.Background(), tokenOf(link), true, "")
	require.ErrorIs(t, err, expertpool.ErrBadSignature)
}

func TestNotifierRetriesThenDeadLetters(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 3)
	gw := newFakeGateway(t)
	refused := "outbox:" + itoa(f.Invites[2])
	gw.setStatus(func(m notify.Message) int {
		switch m.ID {
		case refused:
			return http.StatusBadRequest // permanent: no retry
		default:
			return http.StatusServiceUnavailable
		}
	})
	r := testenv.Redis(t)
	n := startNotifier(t, e, fastNotifier(r.Client, r.Prefix, gw.provider(t)))
	waitOutbox(t, e)
	stats := n.Stats()
	n.Close()

	req, acc, _ := gw.snapshot()
	require.Empty(t, acc)
	require.Equal(t, 3, req["outbox:"+itoa(f.Invites[0])], "retried up to MaxAttempts")
	require.Equal(t, 3, req["outbox:"+itoa(f.Invites[1])])
	require.Equal(t, 1, req[refused], "a 4xx is not retried")
	require.Equal(t, notify.WorkerStats{Retried: 4, Dead: 3}, stats)

	dead, err := e.svc.DeadLetters(context.Background())
	require.NoError(t, err)
	require.Len(t, dead, 3)
	byID := map[string]expertpool.DeadLetter{}
	for _, d := range dead {
		byID[d.MessageID] = d
		require.Equal(t, f.DrawID, d.DrawID)
		require.NotContains(t, d.MobileMasked, f.Mobiles[0][3:7])
		require.Contains(t, d.MobileMasked, "****")
		require.Contains(t, d.LastError, "webhook")
	}
	require.Equal(t, 3, byID["outbox:"+itoa(f.Invites[0])].Attempts)
	require.Equal(t, 1, byID[refused].Attempts)
	require.Contains(t, byID[refused].LastError, "400")

	st, err := e.svc.NotificationStats(context.Background(), f.DrawID)
	require.NoError(t, err)
	require.Equal(t, 3, st.Dead)
	entries, err := e.audit.List(context.Background(), audit.Filter{Action: "notify.dead"})
	require.NoError(t, err)
	require.Len(t, entries, 3, "dead letters are audited")
}

func TestNotifierLosesNothingWhenRedisRestarts(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 60)
	gw := newFakeGateway(t)
	release := gw.holdRequests()
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	p := fastNotifier(rdb, "restart:", gw.provider(t))
	p.Workers = 2
	startNotifier(t, e, p)

	// Every message is in the stream and both workers are busy at the
	// gateway: the workers hold at most 2x16 entries, the rest wait in
	// Redis, and Redis now dies with them.
	require.Eventually(t, func() bool {
		var relayed int
		require.NoError(t, e.db.QueryRow(context.Background(),
			`SELECT count(*) FROM expertpool.outbox WHERE relayed_at IS NOT NULL`).Scan(&relayed))
		return relayed == len(f.Invites) && gw.inFlight() == 2
	}, 30*time.Second, 5*time.Millisecond)
	srv.Stop(t)
	// Messages written while Redis is down wait in the outbox.
	extra := make([]int64, 0, 5)
	for _, m := range f.Members[:5] {
		var id int64
		require.NoError(t, e.db.QueryRow(context.Background(),
			`INSERT INTO expertpool.outbox (member_id, kind, created_at) VALUES ($1, 'repeat', $2) RETURNING id`, m, e.clock.Now()).Scan(&id))
		extra = append(extra, id)
	}
	release()
	time.Sleep(300 * time.Millisecond) // let the pipeline run into the outage
	srv.Restart(t)
	waitOutbox(t, e)

	req, acc, bad := gw.snapshot()
	require.Zero(t, bad)
	require.Len(t, acc, len(f.Invites)+len(extra), "no message lost")
	for _, id := range append(append([]int64{}, f.Invites...), extra...) {
		require.Equal(t, 1, req["outbox:"+itoa(id)], "message %d delivered once", id)
	}
}

func TestDeadlineRunnerReleasesSilentMembers(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 1)
	e.clock.Set(f.Deadline.Add(time.Minute))
	r := e.svc.NewDeadlineRunner(20 * time.Millisecond)
	r.Start(context.Background())
	require.Eventually(t, func() bool { return memberState(t, e, f.Members[0]) == "no_answer" }, 20*time.Second, 20*time.Millisecond)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close twice")
	require.Equal(t, []string{"invite", "released"}, outboxKinds(t, e, f.Members[0]))
}
