// Package metrics exposes evalroomd's and evalroom-edge's state to
// Prometheus. Metrics are named evalroom_<subsystem>_<what>_<unit>.
//
// Most metrics are read at scrape time from plain stats functions of the
// features (room.Service.SessionCounts, sfu.Server.Stats,
// expertpool.Service.PoolStats, room.RecorderMonitor.RoomStates,
// archive.Service.Stats, …), so nothing is counted twice and the
// features do not import the Prometheus client. The exceptions are HTTP
// requests (counted as they are answered, through web.RequestObserver),
// the SFU's byte and packet totals (the SFU keeps them per stream only,
// so the collector adds up each stream's growth between scrapes) and the
// edge recorder's report outcomes.
//
// A source that fails at scrape time (a database that does not answer)
// leaves its metrics out of that scrape and sets
// evalroom_metrics_source_up{source} to 0; the scrape itself succeeds.
//
// The names are listed in deploy/README.md and used by the alert rules
// (deploy/prometheus/alerts.yml) and the dashboard
// (deploy/grafana/evalroom.json); cmd/internal/deploycheck checks that
// both use only names these collectors export.
package metrics
