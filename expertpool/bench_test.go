package expertpool_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

// BenchmarkDraw measures CreateDraw on a pool of 100,000 made-up experts
// (SeedDemo: three provinces, every recusal rule has cases) with every
// recusal rule on: a five-expert committee, 3 at the main venue (江苏) and
// 1 at each of two remote venues (安徽, 山东), all of specialty A0101.
// Sub-benchmarks:
//
//   - serial: one draw at a time; reports p50 and p99 latency.
//   - concurrent100: each iteration starts 100 draws at once and waits for
//     all; reports draws per second.
//
// Bookings accumulate, so every draw gets its own three-hour session,
// never overlapping another. Run with:
//
//	go test ./expertpool -run '^$' -bench 'BenchmarkDraw/serial' -benchtime 500x
//	go test ./expertpool -run '^$' -bench 'BenchmarkDraw/concurrent100' -benchtime 10x
func BenchmarkDraw(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 100,000 experts")
	}
	e := newEnv(b, nil)
	ctx := context.Background()
	started := time.Now()
	rep, err := e.svc.SeedDemo(ctx, "system", expertpool.DemoOptions{Experts: 100_000, Seed: 1, Provinces: []string{"32", "34", "37"}})
	require.NoError(b, err)
	b.Logf("seeded %d experts, %d projects in %s", rep.Experts, rep.Projects, time.Since(started).Round(time.Millisecond))
	// Steady state: autovacuum has set the visibility maps by the time a
	// freshly imported pool is drawn from.
	_, err = e.db.Exec(ctx, `VACUUM ANALYZE expertpool.experts, expertpool.draw_index, expertpool.expert_unavailable`)
	require.NoError(b, err)
	project := rep.ProjectIDs[0]
	var slot atomic.Int64
	request := func() expertpool.DrawRequest {
		start := sessionStart.Add(time.Duration(slot.Add(1)) * 3 * time.Hour)
		req := threeVenues(project, start)
		req.Venues[0].Region, req.Venues[1].Region, req.Venues[2].Region = "320102", "340102", "370102"
		req.Quotas[0].RegionPrefix, req.Quotas[1].RegionPrefix, req.Quotas[2].RegionPrefix = "32", "34", "37"
		req.Quotas[0].Reserves = 0
		return req
	}
	draw := func(b *testing.B) time.Duration {
		t0 := time.Now()
		_, err := e.svc.CreateDraw(ctx, "user:1", request())
		d := time.Since(t0)
		if err != nil {
			b.Fatalf("draw: %v", err)
		}
		return d
	}
	for range 5 { // warm the plans and caches
		draw(b)
	}

	b.Run("serial", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			lat = append(lat, draw(b))
		}
		slices.Sort(lat)
		ms := func(q float64) float64 {
			return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
		}
		b.ReportMetric(ms(0.50), "p50-ms")
		b.ReportMetric(ms(0.99), "p99-ms")
	})

	b.Run("concurrent100", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			t0 := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := e.svc.CreateDraw(ctx, "user:1", request()); err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			total += time.Since(t0)
			close(errs)
			for err := range errs {
				b.Fatalf("draw: %v", err)
			}
		}
		b.ReportMetric(float64(100*b.N)/total.Seconds(), "draws/s")
	})
}
