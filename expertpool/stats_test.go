package expertpool_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/testenv"
)

// TestPoolStats counts a draw whose gateway refuses one invitation for
// good and delivers the others.
func TestPoolStats(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	st, err := e.svc.PoolStats(ctx)
	require.NoError(t, err)
	require.Len(t, st.Draws, len(expertpool.DrawStates))
	require.Len(t, st.Members, len(expertpool.MemberStates))
	require.Zero(t, st.Notifications.Total)

	f := seedNotifyDraw(t, e, 3)
	gw := newFakeGateway(t)
	refused := "outbox:" + itoa(f.Invites[2])
	gw.setStatus(func(m notify.Message) int {
		if m.ID == refused {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	r := testenv.Redis(t)
	n := startNotifier(t, e, fastNotifier(r.Client, r.Prefix, gw.provider(t)))
	waitOutbox(t, e)
	n.Close()

	st, err = e.svc.PoolStats(ctx)
	require.NoError(t, err)
	total := 0
	for _, c := range st.Draws {
		total += c
	}
	require.Equal(t, 1, total, "one draw")
	require.Equal(t, 3, st.Members["notified"])
	require.Equal(t, expertpool.NotificationStats{Total: 3, Delivered: 2, Dead: 1}, st.Notifications)
}
