package main

import (
	"context"
	"fmt"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/recorder/archive"
)

// startReplication opens the archive's second copy the configuration
// names (archive.replica_*) and starts its Replicator, which Close stops;
// nil, with a warning in the log, when no replica is configured.
func (m *Main) startReplication(ctx context.Context, primary archive.Store) (*archive.Replicator, error) {
	r, err := archivewire.OpenReplicator(ctx, m.Config.Archive, m.db, primary, archive.ReplicatorParams{Logger: m.log})
	if err != nil {
		return nil, fmt.Errorf("archive replica: %w", err)
	}
	if r == nil {
		m.log.Warn("archive.replica_store is not set: the archive keeps one copy only (the law asks for two)")
		return nil, nil
	}
	r.Start()
	m.closer = append(m.closer, func(context.Context) error { return r.Close() })
	m.log.Info("archive replication on", "replica_store", m.Config.Archive.ReplicaStore)
	return r, nil
}
