package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu"
)

// Sources are the stats functions evalroomd's metrics read at scrape
// time; a nil one leaves its metrics out.
type Sources struct {
	// Sessions counts sessions per phase (room.Service.SessionCounts).
	Sessions func(ctx context.Context) (map[room.Phase]int, error)
	// SFU is this node's media forwarding (sfu.Server.Stats).
	SFU func() sfu.Stats
	// Pool counts draws, members and messages (expertpool.Service.PoolStats).
	Pool func(ctx context.Context) (expertpool.PoolStats, error)
	// Notify is this node's delivery workers' counts (expertpool.Notifier.Stats).
	Notify func() notify.WorkerStats
	// Recorders are the rooms' recorders (room.RecorderMonitor.RoomStates).
	Recorders func(ctx context.Context) ([]room.RoomRecorderState, error)
	// Archive counts the archive's segments (archive.Service.Stats) and
	// Replication its replication queue (archive.Service.ReplicationStats).
	Archive     func(ctx context.Context) (archive.Stats, error)
	Replication func(ctx context.Context) (archive.ReplicationStats, error)
	// ClockTolerance is how far a recorder's clock may be off
	// (evalroom_clock_tolerance_seconds, for the alert rules).
	ClockTolerance time.Duration
	// Timeout bounds each source; DefaultSourceTimeout when 0.
	Timeout time.Duration
	// Logger logs failing sources; slog.Default() when nil.
	Logger *slog.Logger
}

// RegisterServer registers evalroomd's collectors on reg.
func RegisterServer(reg prometheus.Registerer, s Sources) error {
	src := newSources(s.Timeout, s.Logger)
	cs := []prometheus.Collector{
		&sessionsCollector{src: src, counts: s.Sessions},
		newSFUCollector(s.SFU),
		&poolCollector{src: src, stats: s.Pool, workers: s.Notify},
		&recordersCollector{src: src, states: s.Recorders, tolerance: s.ClockTolerance},
		&archiveCollector{src: src, stats: s.Archive, replication: s.Replication},
		src,
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Describe and Collect make sources a collector of its own Desc, so that
// the registry knows evalroom_metrics_source_up (the samples are sent by
// the other collectors).
func (s *sources) Describe(ch chan<- *prometheus.Desc) { ch <- s.up }

// Collect sends nothing: see Describe.
func (s *sources) Collect(chan<- prometheus.Metric) {}

// sessionsCollector: evalroom_sessions{phase}.
type sessionsCollector struct {
	src    *sources
	counts func(ctx context.Context) (map[room.Phase]int, error)
}

var sessionsDesc = newDesc("sessions", "Evaluation sessions by phase (scheduled, signin, evaluating, paused, finished, aborted).", "phase")

func (c *sessionsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- sessionsDesc }

func (c *sessionsCollector) Collect(ch chan<- prometheus.Metric) {
	if c.counts == nil {
		return
	}
	var counts map[room.Phase]int
	if !c.src.read(ch, "sessions", func(ctx context.Context) (err error) { counts, err = c.counts(ctx); return err }) {
		return
	}
	for p, n := range counts {
		gauge(ch, sessionsDesc, float64(n), string(p))
	}
}
