package config

// Metrics configures evalroomd's Prometheus metrics (GET /metrics on the
// HTTP listener; see deploy/README.md, 监控 / Metrics).
type Metrics struct {
	// Enabled serves /metrics; off, the route answers 503.
	Enabled bool `yaml:"enabled" doc:"serve Prometheus metrics at /metrics on the HTTP listener"`
	// Token, when set, is the bearer token /metrics requires. Empty
	// leaves /metrics open: then keep it off the public network (the
	// reverse proxy must not forward it).
	Token string `yaml:"token" secret:"true" doc:"bearer token /metrics requires (Prometheus authorization credentials); empty: open, so keep /metrics off the public network"`
	// ClockToleranceMS is how far a room recorder's clock may be off
	// before the clock alerts fire; exported as
	// evalroom_clock_tolerance_seconds for the alert rules.
	ClockToleranceMS int `yaml:"clock_tolerance_ms" doc:"clock error (ms) of a room recorder above which the clock alerts fire (evalroom_clock_tolerance_seconds); rooms must line up within 20 ms"`
}
