package main

import (
	"fmt"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/metrics"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web"
)

// monitoring is what evalroomd shows of itself: the edge recorders'
// status reports (kept in Redis, for the control panel and the metrics)
// and the Prometheus metrics.
type monitoring struct {
	recorders *room.RecorderMonitor
	web       web.Metrics
}

// startMonitoring builds the recorder status monitor and, when
// metrics.enabled, the metrics registry; it needs startRoom's sessions
// and SFU, startBackground's notifier and startArchive's archive.
func (m *Main) startMonitoring() error {
	store, err := room.NewRedisRecorderStatus(m.redis, m.Config.Redis.Prefix, room.DefaultRecorderStatusTTL)
	if err != nil {
		return fmt.Errorf("recorder status: %w", err)
	}
	mon, err := room.NewRecorderMonitor(room.RecorderMonitorParams{Sessions: m.rooms, Store: store, Events: m.events,
		Logger: m.log})
	if err != nil {
		return fmt.Errorf("recorder status: %w", err)
	}
	m.mon.recorders = mon
	c := m.Config.Metrics
	if !c.Enabled {
		return nil
	}
	reg := metrics.NewRegistry()
	requests, err := metrics.NewHTTP(reg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	src := metrics.Sources{
		Sessions: m.rooms.SessionCounts, SFU: m.sfu.Stats, Pool: m.pool.PoolStats, Recorders: mon.RoomStates,
		Archive: m.archive.Stats, Replication: m.archive.ReplicationStats,
		ClockTolerance: time.Duration(c.ClockToleranceMS) * time.Millisecond,
		Logger:         m.log.With("component", "metrics"),
	}
	if m.notifier != nil {
		src.Notify = m.notifier.Stats
	}
	if err := metrics.RegisterServer(reg, src); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	m.mon.web = web.Metrics{Handler: metrics.Handler(reg, m.log), Token: c.Token, Requests: requests}
	return nil
}
