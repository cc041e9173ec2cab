package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// memStore is an in-memory outbox implementing Source and Sink, enough
// to exercise the pipeline's Redis side.
type memStore struct {
	mu        sync.Mutex
	claimed   map[string]bool
	delivered map[string]int
	dead      map[string]bool
}

func newMemStore() *memStore {
	return &memStore{claimed: map[string]bool{}, delivered: map[string]int{}, dead: map[string]bool{}}
}

func (m *memStore) Claim(_ context.Context, id string, _ time.Duration) (notify.Message, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.delivered[id] > 0 || m.dead[id] {
		return notify.Message{}, 0, notify.ErrDone
	}
	if m.claimed[id] {
		return notify.Message{}, 0, notify.ErrBusy
	}
	m.claimed[id] = true
	return notify.Message{ID: id, To: "13800000000", Text: "hi", Kind: "test"}, 0, nil
}

func (m *memStore) Delivered(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delivered[id]++
	m.claimed[id] = false
	return nil
}

func (m *memStore) Failed(_ context.Context, id string, _ int, _ error, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claimed[id] = false
	return nil
}

func (m *memStore) Dead(_ context.Context, id string, _ int, _ error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dead[id] = true
	return nil
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.delivered)
}

type countingProvider struct {
	mu   sync.Mutex
	sent map[string]int
}

func (p *countingProvider) Send(_ context.Context, m notify.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent[m.ID]++
	return nil
}

func TestWorkersTakeOverEntriesOfACrashedConsumer(t *testing.T) {
	r := testenv.Redis(t)
	ctx := context.Background()
	keys := notify.KeysFor(r.Prefix)
	require.NoError(t, r.Client.XGroupCreateMkStream(ctx, keys.Stream, keys.Group, "0").Err())
	ids := []string{"m:1", "m:2", "m:3"}
	for _, id := range ids {
		require.NoError(t, r.Client.XAdd(ctx, &redis.XAddArgs{Stream: keys.Stream, Values: []any{"id", id}}).Err())
	}
	// A consumer reads the entries and crashes without acknowledging them.
	got, err := r.Client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: keys.Group, Consumer: "crashed", Streams: []string{keys.Stream, ">"}}).Result()
	require.NoError(t, err)
	require.Len(t, got[0].Messages, 3)

	store := newMemStore()
	prov := &countingProvider{sent: map[string]int{}}
	w, err := notify.NewWorkers(notify.WorkersParams{Redis: r.Client, Keys: keys, Sink: store, Provider: prov,
		Count: 2, ClaimIdle: 200 * time.Millisecond, Block: 50 * time.Millisecond})
	require.NoError(t, err)
	w.Start(ctx)
	w.Start(ctx) // idempotent
	require.Eventually(t, func() bool { return store.count() == 3 }, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, w.Close())
	require.NoError(t, w.Close())
	for _, id := range ids {
		require.Equal(t, 1, prov.sent[id], id)
	}
	pending, err := r.Client.XPending(ctx, keys.Stream, keys.Group).Result()
	require.NoError(t, err)
	require.Zero(t, pending.Count, "every entry is acknowledged")
}

func TestRelayAndWorkersNeedTheirParts(t *testing.T) {
	_, err := notify.NewRelay(notify.RelayParams{})
	require.ErrorIs(t, err, notify.ErrMissingParam)
	_, err = notify.NewWorkers(notify.WorkersParams{})
	require.ErrorIs(t, err, notify.ErrMissingParam)
}
