package cluster_test

import (
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/cluster"
)

// The contracts cmd wires Cluster into (Directory needs a small adapter
// for the Node type, see the package doc).
var (
	_ sfu.Presence       = (*cluster.Cluster)(nil)
	_ room.MediaPresence = (*cluster.Cluster)(nil)
)
