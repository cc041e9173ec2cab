package cluster_test

import (
	"context"
	"errors"
	"testing"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/room/sfu/cluster"
	"github.com/stretchr/testify/require"
)

func TestMuteStateIsSharedByTheNodes(t *testing.T) {
	env := testenv.Redis(t)
	ctx := context.Background()
	a := newNode(t, env.Client, env.Prefix, "a", 0, nil)
	b := newNode(t, env.Client, env.Prefix, "b", 0, nil)

	rooms, err := b.Muted(ctx, "7")
	require.NoError(t, err)
	require.Empty(t, rooms)

	require.NoError(t, a.SetMuted(ctx, "7", "12", true))
	require.NoError(t, a.SetMuted(ctx, "7", "3", true))
	require.NoError(t, a.SetMuted(ctx, "8", "5", true))
	rooms, err = b.Muted(ctx, "7")
	require.NoError(t, err)
	require.Equal(t, []string{"12", "3"}, rooms, "the other node sees what a muted")

	require.NoError(t, b.SetMuted(ctx, "7", "12", false))
	require.NoError(t, b.SetMuted(ctx, "7", "99", false), "unmuting a room that is not muted is fine")
	rooms, err = a.Muted(ctx, "7")
	require.NoError(t, err)
	require.Equal(t, []string{"3"}, rooms)
	ttl, err := env.Client.TTL(ctx, env.Prefix+"sfu:mute:7").Result()
	require.NoError(t, err)
	require.Greater(t, ttl, cluster.MuteTTL/2, "the state outlives any session")

	for _, bad := range [][2]string{{"", "1"}, {"7", ""}, {"7", "a:b"}, {"x y", "1"}} {
		require.True(t, errors.Is(a.SetMuted(ctx, bad[0], bad[1], true), cluster.ErrBadSession), "%q", bad)
	}
	_, err = a.Muted(ctx, "")
	require.True(t, errors.Is(err, cluster.ErrBadSession))
}
