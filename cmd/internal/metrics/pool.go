package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
)

var (
	drawsDesc         = newDesc("draws", "Expert draws by state (filled, short, failed, aborted, finished).", "state")
	drawMembersDesc   = newDesc("draw_members", "Drawn experts by state (reserve, notified, confirmed, declined, no_answer, recused, cancelled).", "state")
	notificationsDesc = newDesc("notifications", "Notification messages by delivery state: waiting (not yet queued), in_flight (queued or being retried), delivered, skipped (no longer needed), dead (given up: a dead letter staff must handle).", "state")
	retryingDesc      = newDesc("notifications_retrying", "Notification messages not yet delivered that failed at least once.")
	notifyDelivered   = newDesc("notify_delivered_total", "Messages this node's delivery workers handed to the provider since start.")
	notifyRetried     = newDesc("notify_retried_total", "Failed deliveries this node's workers scheduled again since start.")
	notifyDead        = newDesc("notify_dead_total", "Messages this node's workers gave up (dead letters) since start.")
)

// poolCollector reads expertpool.PoolStats and the notifier's counts.
type poolCollector struct {
	src     *sources
	stats   func(ctx context.Context) (expertpool.PoolStats, error)
	workers func() notify.WorkerStats
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{drawsDesc, drawMembersDesc, notificationsDesc, retryingDesc, notifyDelivered, notifyRetried, notifyDead} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	if c.workers != nil {
		w := c.workers()
		counter(ch, notifyDelivered, float64(w.Delivered))
		counter(ch, notifyRetried, float64(w.Retried))
		counter(ch, notifyDead, float64(w.Dead))
	}
	if c.stats == nil {
		return
	}
	var st expertpool.PoolStats
	if !c.src.read(ch, "expertpool", func(ctx context.Context) (err error) { st, err = c.stats(ctx); return err }) {
		return
	}
	for s, n := range st.Draws {
		gauge(ch, drawsDesc, float64(n), s)
	}
	for s, n := range st.Members {
		gauge(ch, drawMembersDesc, float64(n), s)
	}
	n := st.Notifications
	for state, v := range map[string]int{"waiting": n.Waiting, "in_flight": n.InFlight, "delivered": n.Delivered, "skipped": n.Skipped, "dead": n.Dead} {
		gauge(ch, notificationsDesc, float64(v), state)
	}
	gauge(ch, retryingDesc, float64(n.Retrying))
}
