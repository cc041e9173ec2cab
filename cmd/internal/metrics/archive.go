package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evalroom/evalroom/recorder/archive"
)

var (
	archiveSegmentsDesc  = newDesc("archive_segments", "Archived segments by their last verification's result (verified, broken: its bytes, signature or chain link no longer hold).", "state")
	archiveBytesDesc     = newDesc("archive_bytes", "Size of the archived segments.")
	archiveRecorders     = newDesc("archive_recorders", "Recorders with an accepted hash chain in the archive.")
	archiveLastAccepted  = newDesc("archive_last_accept_timestamp_seconds", "When the newest manifest was accepted (Unix time; 0 none).")
	archiveLastVerified  = newDesc("archive_last_verify_timestamp_seconds", "When a segment was last verified again after its acceptance (Unix time; 0 never).")
	archiveReplication   = newDesc("archive_replication_segments", "Segments in the replication queue by state (pending, failed: waiting for a retry, done: in the second copy).", "state")
	archiveReplicaOldest = newDesc("archive_replication_oldest_waiting_timestamp_seconds", "When the oldest segment not yet in the second copy was accepted (Unix time; 0 none waiting).")
)

// archiveCollector reads archive.Service.Stats and ReplicationStats.
type archiveCollector struct {
	src         *sources
	stats       func(ctx context.Context) (archive.Stats, error)
	replication func(ctx context.Context) (archive.ReplicationStats, error)
}

func (c *archiveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{archiveSegmentsDesc, archiveBytesDesc, archiveRecorders, archiveLastAccepted, archiveLastVerified,
		archiveReplication, archiveReplicaOldest} {
		ch <- d
	}
}

func (c *archiveCollector) Collect(ch chan<- prometheus.Metric) {
	if c.stats != nil {
		var st archive.Stats
		if c.src.read(ch, "archive", func(ctx context.Context) (err error) { st, err = c.stats(ctx); return err }) {
			for state, n := range st.Segments {
				gauge(ch, archiveSegmentsDesc, float64(n), state)
			}
			gauge(ch, archiveBytesDesc, float64(st.Bytes))
			gauge(ch, archiveRecorders, float64(st.Recorders))
			gauge(ch, archiveLastAccepted, unixSeconds(st.LastAccepted))
			gauge(ch, archiveLastVerified, unixSeconds(st.LastVerified))
		}
	}
	if c.replication != nil {
		var st archive.ReplicationStats
		if c.src.read(ch, "archive_replication", func(ctx context.Context) (err error) { st, err = c.replication(ctx); return err }) {
			gauge(ch, archiveReplication, float64(st.Pending), "pending")
			gauge(ch, archiveReplication, float64(st.Failed), "failed")
			gauge(ch, archiveReplication, float64(st.Done), "done")
			gauge(ch, archiveReplicaOldest, unixSeconds(st.OldestWaiting))
		}
	}
}
