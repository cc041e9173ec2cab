package expertpool_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/stretchr/testify/require"
)

// BenchmarkNotifyThroughput measures messages per second from the outbox
// through the Redis Stream to a webhook gateway (an httptest server that
// checks every signature), with 4 workers:
//
//	go test ./expertpool/ -run '^$' -bench NotifyThroughput -benchtime 5000x
func BenchmarkNotifyThroughput(b *testing.B) {
	if testing.Short() {
		b.Skip("benchmark needs PostgreSQL and Redis")
	}
	e := newEnv(b, nil)
	f := seedNotifyDraw(b, e, 20)
	ctx := context.Background()
	// The fixture's 20 invitations plus b.N confirmations spread over its
	// members (a confirmation renders whatever the member's state).
	_, err := e.db.Exec(ctx, `INSERT INTO expertpool.outbox (member_id, kind, created_at)
		SELECT ($1::bigint[])[1 + g % 20], 'confirmed', $2 FROM generate_series(1, $3) g`, f.Members, e.clock.Now(), b.N)
	require.NoError(b, err)
	gw := newFakeGateway(b)
	r := testenv.Redis(b)
	p := fastNotifier(r.Client, r.Prefix, gw.provider(b))
	p.Workers = 4
	b.ResetTimer()
	start := time.Now()
	n, err := e.svc.StartNotifier(ctx, p)
	require.NoError(b, err)
	for {
		var left int
		require.NoError(b, e.db.QueryRow(ctx, `SELECT count(*) FROM expertpool.outbox WHERE delivered_at IS NULL AND NOT dead`).Scan(&left))
		if left == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	n.Close()
	req, acc, bad := gw.snapshot()
	require.Zero(b, bad)
	require.Len(b, acc, b.N+20)
	for k, c := range req {
		require.Equal(b, 1, c, "message %s delivered once", k)
	}
	b.ReportMetric(float64(b.N+20)/elapsed.Seconds(), "msgs/s")
}
