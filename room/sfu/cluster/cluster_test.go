package cluster_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/room/sfu/cluster"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newNode(t *testing.T, rdb redis.UniversalClient, prefix, id string, ttl time.Duration, onLost func(string, cluster.Node)) *cluster.Cluster {
	t.Helper()
	c, err := cluster.New(cluster.Params{
		Redis: rdb, Prefix: prefix, TTL: ttl, OnLost: onLost,
		Self: cluster.Node{ID: id, URL: "http://" + id + ".example:8080"},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

func TestClaimConflictAndRelease(t *testing.T) {
	env := testenv.Redis(t)
	ctx := context.Background()
	a := newNode(t, env.Client, env.Prefix, "a", 0, nil)
	b := newNode(t, env.Client, env.Prefix, "b", 0, nil)

	got, err := a.Claim(ctx, "42")
	require.NoError(t, err)
	require.Equal(t, a.Self(), got, "a free session goes to the first claimant")

	got, err = b.Claim(ctx, "42")
	require.NoError(t, err)
	require.Equal(t, a.Self(), got, "the second node is told who hosts it")

	got, err = a.Claim(ctx, "42")
	require.NoError(t, err)
	require.Equal(t, a.Self(), got, "claiming again keeps it")

	require.NoError(t, b.Release(ctx, "42"), "releasing another node's claim is a no-op")
	holder, ok, err := b.Holder(ctx, "42")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "a", holder.ID, "b could not release a's claim")

	require.NoError(t, a.Release(ctx, "42"))
	_, ok, err = b.Holder(ctx, "42")
	require.NoError(t, err)
	require.False(t, ok)
	got, err = b.Claim(ctx, "42")
	require.NoError(t, err)
	require.Equal(t, b.Self(), got, "after release the other node takes it")

	// Sessions are independent.
	got, err = a.Claim(ctx, "43")
	require.NoError(t, err)
	require.Equal(t, "a", got.ID)
}

func TestBadInput(t *testing.T) {
	env := testenv.Redis(t)
	ctx := context.Background()
	_, err := cluster.New(cluster.Params{Redis: env.Client})
	require.ErrorIs(t, err, cluster.ErrMissingParam)
	_, err = cluster.New(cluster.Params{Redis: env.Client, Self: cluster.Node{ID: "a", URL: "u"}, TTL: time.Second, Refresh: 2 * time.Second})
	require.ErrorIs(t, err, cluster.ErrMissingParam)

	a := newNode(t, env.Client, env.Prefix, "a", 0, nil)
	for _, s := range []string{"", "1:2", "a b", string(make([]byte, 200))} {
		_, err := a.Claim(ctx, s)
		require.ErrorIs(t, err, cluster.ErrBadSession, "session %q", s)
		require.ErrorIs(t, a.SetLive(ctx, "1", s, true), cluster.ErrBadSession)
	}
	// A foreign value under our key is reported, not trusted.
	require.NoError(t, env.Client.Set(ctx, env.Prefix+"sfu:host:7", "garbage", 0).Err())
	_, err = a.Claim(ctx, "7")
	require.ErrorIs(t, err, cluster.ErrCorrupt)

	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "Close is idempotent")
	_, err = a.Claim(ctx, "8")
	require.ErrorIs(t, err, cluster.ErrClosed)
}

func TestClaimSurvivesWhileRefreshedAndExpiresWhenNodeDies(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	env := testenv.Redis(t)
	ctx := context.Background()
	const ttl = 600 * time.Millisecond
	a, err := cluster.New(cluster.Params{Redis: env.Client, Prefix: env.Prefix, TTL: ttl,
		Self: cluster.Node{ID: "a", URL: "http://a"}})
	require.NoError(t, err)
	b, err := cluster.New(cluster.Params{Redis: env.Client, Prefix: env.Prefix, TTL: ttl,
		Self: cluster.Node{ID: "b", URL: "http://b"}})
	require.NoError(t, err)
	defer b.Close()

	_, err = a.Claim(ctx, "1")
	require.NoError(t, err)
	require.NoError(t, a.SetLive(ctx, "1", "101", true))

	// Several TTLs later a's loop has kept both alive.
	time.Sleep(4 * ttl)
	got, err := b.Claim(ctx, "1")
	require.NoError(t, err)
	require.Equal(t, "a", got.ID)
	rooms, err := b.LiveRooms(ctx, "1")
	require.NoError(t, err)
	require.Equal(t, []string{"101"}, rooms)

	// a dies without releasing: its claim and live room expire.
	require.NoError(t, a.Close())
	require.Eventually(t, func() bool {
		got, err := b.Claim(ctx, "1")
		return err == nil && got.ID == "b"
	}, 20*ttl, ttl/10, "b takes the session over once a's claim expired")
	rooms, err = b.LiveRooms(ctx, "1")
	require.NoError(t, err)
	require.Empty(t, rooms, "the dead node's live room is no longer listed")
}

func TestPresenceAcrossNodes(t *testing.T) {
	env := testenv.Redis(t)
	ctx := context.Background()
	a := newNode(t, env.Client, env.Prefix, "a", 0, nil)
	b := newNode(t, env.Client, env.Prefix, "b", 0, nil)

	rooms, err := b.LiveRooms(ctx, "5")
	require.NoError(t, err)
	require.Empty(t, rooms)

	require.NoError(t, a.SetLive(ctx, "5", "12", true))
	require.NoError(t, a.SetLive(ctx, "5", "11", true))
	require.NoError(t, a.SetLive(ctx, "6", "99", true))
	rooms, err = b.LiveRooms(ctx, "5")
	require.NoError(t, err)
	require.Equal(t, []string{"11", "12"}, rooms)

	require.NoError(t, a.SetLive(ctx, "5", "12", false))
	rooms, err = b.LiveRooms(ctx, "5")
	require.NoError(t, err)
	require.Equal(t, []string{"11"}, rooms)

	// The recorder of room 11 moved to b; a's late "not live" must not hide it.
	require.NoError(t, b.SetLive(ctx, "5", "11", true))
	require.NoError(t, a.SetLive(ctx, "5", "11", false))
	rooms, err = a.LiveRooms(ctx, "5")
	require.NoError(t, err)
	require.Equal(t, []string{"11"}, rooms)

	// Graceful hand-over clears what a still held.
	require.NoError(t, a.ReleaseAll(ctx))
	rooms, err = b.LiveRooms(ctx, "6")
	require.NoError(t, err)
	require.Empty(t, rooms)
}

func TestLostClaimIsReported(t *testing.T) {
	env := testenv.Redis(t)
	ctx := context.Background()
	var mu sync.Mutex
	var lost []string
	a := newNode(t, env.Client, env.Prefix, "a", time.Hour, func(s string, n cluster.Node) {
		mu.Lock()
		defer mu.Unlock()
		lost = append(lost, s+"→"+n.ID)
	})
	b := newNode(t, env.Client, env.Prefix, "b", time.Hour, nil)
	_, err := a.Claim(ctx, "9")
	require.NoError(t, err)
	// Simulate a's claim expiring during an outage and b taking over.
	require.NoError(t, env.Client.Del(ctx, env.Prefix+"sfu:host:9").Err())
	got, err := b.Claim(ctx, "9")
	require.NoError(t, err)
	require.Equal(t, "b", got.ID)

	require.NoError(t, a.Refresh(ctx))
	mu.Lock()
	require.Equal(t, []string{"9→b"}, lost)
	mu.Unlock()
	got, err = b.Claim(ctx, "9")
	require.NoError(t, err)
	require.Equal(t, "b", got.ID, "a's refresh did not steal it back")
}

func TestRedisRestartRewritesClaims(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	ctx := context.Background()
	const ttl = 600 * time.Millisecond
	a, err := cluster.New(cluster.Params{Redis: rdb, TTL: ttl, Self: cluster.Node{ID: "a", URL: "http://a"}})
	require.NoError(t, err)
	defer a.Close()
	b, err := cluster.New(cluster.Params{Redis: rdb, TTL: ttl, Self: cluster.Node{ID: "b", URL: "http://b"}})
	require.NoError(t, err)
	defer b.Close()

	_, err = a.Claim(ctx, "3")
	require.NoError(t, err)
	require.NoError(t, a.SetLive(ctx, "3", "30", true))

	srv.Stop(t)
	// The loop keeps running (and failing) while Redis is down.
	time.Sleep(3 * ttl)
	_, err = b.Claim(ctx, "3")
	require.Error(t, err)
	require.False(t, errors.Is(err, cluster.ErrClosed))

	srv.Restart(t) // empty
	require.Eventually(t, func() bool {
		n, ok, err := b.Holder(ctx, "3")
		return err == nil && ok && n.ID == "a"
	}, 20*ttl, ttl/10, "a's loop writes its claim again after the restart")
	require.Eventually(t, func() bool {
		rooms, err := b.LiveRooms(ctx, "3")
		return err == nil && len(rooms) == 1 && rooms[0] == "30"
	}, 20*ttl, ttl/10)
	got, err := b.Claim(ctx, "3")
	require.NoError(t, err)
	require.Equal(t, "a", got.ID)
	require.NoError(t, b.Close())
	require.NoError(t, a.Close())
}

// A claim released and a room set not live while a refresh is under way
// stay released and not live: the refresh, which may write them again
// after its snapshot, takes them back.
func TestReleaseDuringRefreshSticks(t *testing.T) {
	env := testenv.Redis(t)
	ctx := context.Background()
	a := newNode(t, env.Client, env.Prefix, "a", time.Hour, nil)
	for i := range 200 {
		_, err := a.Claim(ctx, "7")
		require.NoError(t, err)
		require.NoError(t, a.SetLive(ctx, "7", "70", true))
		done := make(chan error, 1)
		go func() { done <- a.Refresh(ctx) }()
		// Land inside the refresh's window at varying points.
		time.Sleep(time.Duration(i%10) * 30 * time.Microsecond)
		require.NoError(t, a.Release(ctx, "7"))
		require.NoError(t, a.SetLive(ctx, "7", "70", false))
		require.NoError(t, <-done)
		_, held, err := a.Holder(ctx, "7")
		require.NoError(t, err)
		require.False(t, held, "iteration %d: the released claim came back", i)
		rooms, err := a.LiveRooms(ctx, "7")
		require.NoError(t, err)
		require.Empty(t, rooms, "iteration %d: the room set not live came back", i)
	}
}
