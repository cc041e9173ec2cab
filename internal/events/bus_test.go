package events_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/events"
	"github.com/evalroom/evalroom/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// startBus runs a Bus as one node would and stops it when the test ends.
func startBus(t *testing.T, env *testenv.RedisEnv) *events.Bus {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: env.Addr})
	b := events.New(rdb, events.Options{Prefix: env.Prefix})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait(); rdb.Close() })
	return b
}

// next waits for the subscription's next event.
func next(t *testing.T, s *events.Subscription) events.Event {
	t.Helper()
	select {
	case e := <-s.C():
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return events.Event{}
	}
}

// subscribed subscribes on b and waits until b's Redis subscription is
// live, by publishing probes until one arrives.
func subscribed(t *testing.T, b *events.Bus) *events.Subscription {
	t.Helper()
	s := b.Subscribe()
	t.Cleanup(s.Close)
	for {
		require.NoError(t, b.Publish(context.Background(), events.Event{Action: "probe"}))
		select {
		case <-s.C():
			// drain further probes that may be in flight
			time.Sleep(50 * time.Millisecond)
			for len(s.C()) > 0 {
				<-s.C()
			}
			return s
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestTwoNodesSeeEachOthersEvents: an event published on one node reaches
// the subscribers of both, in order, stamped.
func TestTwoNodesSeeEachOthersEvents(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // after the buses stopped
	env := testenv.Redis(t)
	a, b := startBus(t, env), startBus(t, env)
	sa, sb := subscribed(t, a), subscribed(t, b)
	for len(sa.C()) > 0 { // b's probes reached a too
		<-sa.C()
	}
	ctx := context.Background()
	require.NoError(t, a.Publish(ctx, events.Event{Action: "session.phase", Object: "session:3"}))
	require.NoError(t, a.Publish(ctx, events.Event{Action: "member.signin", Object: "member:9", Topic: "session:3"}))
	for _, s := range []*events.Subscription{sa, sb} {
		e1, e2 := next(t, s), next(t, s)
		require.Equal(t, "session.phase", e1.Action)
		require.Equal(t, "member.signin", e2.Action)
		require.False(t, e1.At.IsZero())
		require.True(t, e2.Matches([]string{"session:3"}))
	}
}

// TestSlowSubscriberIsToldItLostEvents: a subscriber that never reads does
// not hold up the bus; when it reads again it first learns it lost events.
func TestSlowSubscriberIsToldItLostEvents(t *testing.T) {
	env := testenv.Redis(t)
	b := startBus(t, env)
	slow := subscribed(t, b)
	fast := subscribed(t, b)
	for len(slow.C()) > 0 {
		<-slow.C()
	}
	ctx := context.Background()
	const n = 200
	done := make(chan int)
	go func() { // a subscriber that keeps up, to know when delivery is over
		got := 0
		for e := range fast.C() {
			if e.Action == "x.y" {
				got++
			}
			if e.Action == "marker" {
				done <- got
				return
			}
		}
	}()
	for i := 0; i < n; i++ {
		require.NoError(t, b.Publish(ctx, events.Event{Action: "x.y", Object: "draw:1"}))
	}
	require.NoError(t, b.Publish(ctx, events.Event{Action: "marker"}))
	select {
	case got := <-done:
		require.Equal(t, n, got, "a subscriber that keeps up gets every event")
	case <-time.After(10 * time.Second):
		t.Fatal("the fast subscriber did not get the marker")
	}
	seen := 0
	for len(slow.C()) > 0 {
		<-slow.C()
		seen++
	}
	require.Less(t, seen, n, "the slow subscriber's queue is bounded")
	require.NoError(t, b.Publish(ctx, events.Event{Action: "after", Object: "draw:1"}))
	e := next(t, slow)
	require.True(t, e.Lost, "first comes the notice that events were lost: %+v", e)
	require.Equal(t, "after", next(t, slow).Action)
}

func TestMatches(t *testing.T) {
	e := events.Event{Action: "member.signin", Object: "member:9", Topic: "session:3"}
	require.True(t, e.Matches(nil))
	require.True(t, e.Matches([]string{"session:3"}))
	require.True(t, e.Matches([]string{"member:"}))
	require.False(t, e.Matches([]string{"session:4", "draw:"}))
	require.False(t, e.Matches([]string{"session:30"}), "session:3 is not session:30")
	require.False(t, events.Event{Object: "session:30"}.Matches([]string{"session:3"}), "nor the other way round")
	require.True(t, events.Event{Lost: true}.Matches([]string{"draw:1"}))
}

func TestFromAudit(t *testing.T) {
	e := events.FromAudit(audit.Entry{Seq: 7, Action: "member.recuse", Object: "member:4", Detail: []byte(`{"session_id":12,"reason":"亲属"}`)})
	require.Equal(t, events.Event{Seq: 7, Action: "member.recuse", Object: "member:4", Topic: "session:12"}, e)
	require.Empty(t, events.FromAudit(audit.Entry{Action: "a.b", Detail: []byte(`{"session_id":"x"}`)}).Topic)
	require.Empty(t, events.FromAudit(audit.Entry{Action: "a.b", Detail: []byte(`[]`)}).Topic)
}
