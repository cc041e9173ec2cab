package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace begins every metric name.
const namespace = "evalroom"

// DefaultSourceTimeout bounds each scrape-time source.
const DefaultSourceTimeout = 5 * time.Second

// NewRegistry returns a registry with the Go runtime and process
// collectors (go_*, process_*).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(runtimeCollectors()...)
	return reg
}

// runtimeCollectors are the Go runtime and process collectors.
func runtimeCollectors() []prometheus.Collector {
	return []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
}

// Handler serves reg in the Prometheus exposition format. A collector's
// error is logged and the rest is served.
func Handler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          reg,
		EnableOpenMetrics: false,
	})
}

// sources tracks whether each scrape-time source answered
// (evalroom_metrics_source_up{source}).
type sources struct {
	up      *prometheus.Desc
	timeout time.Duration
	log     *slog.Logger
}

func newSources(timeout time.Duration, log *slog.Logger) *sources {
	if timeout <= 0 {
		timeout = DefaultSourceTimeout
	}
	if log == nil {
		log = slog.Default()
	}
	return &sources{
		up: prometheus.NewDesc(namespace+"_metrics_source_up",
			"Whether a scrape-time source of metrics answered (1) or failed (0) in this scrape.", []string{"source"}, nil),
		timeout: timeout, log: log,
	}
}

// read runs f with the source timeout and reports its success on ch.
func (s *sources) read(ch chan<- prometheus.Metric, name string, f func(ctx context.Context) error) bool {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	err := f(ctx)
	up := 1.0
	if err != nil {
		up = 0
		s.log.Warn("metrics source failed", "source", name, "err", err)
	}
	ch <- prometheus.MustNewConstMetric(s.up, prometheus.GaugeValue, up, name)
	return err == nil
}

// gauge sends one gauge sample.
func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// counter sends one counter sample.
func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

// newDesc names a metric in the evalroom namespace.
func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
}

// unixSeconds is t as a Unix timestamp, 0 for the zero time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
