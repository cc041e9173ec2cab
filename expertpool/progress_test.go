package expertpool_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/stretchr/testify/require"
)

// progressLog is a ProgressSink that remembers the draws it heard of.
type progressLog struct {
	mu    sync.Mutex
	draws map[int64]int
}

func (l *progressLog) DrawProgressed(_ context.Context, drawID int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.draws == nil {
		l.draws = map[int64]int{}
	}
	l.draws[drawID]++
}

func (l *progressLog) count(drawID int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.draws[drawID]
}

// TestDrawProgressCountsDeliveriesAndAnswers follows one draw's
// invitations: sent by the gateway (one given up), then accepted,
// declined with a replacement, and the sink hears of every delivery.
func TestDrawProgressCountsDeliveriesAndAnswers(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	f := seedNotifyDraw(t, e, 4)

	p, err := e.svc.DrawProgress(ctx, f.DrawID)
	require.NoError(t, err)
	require.Equal(t, expertpool.QuotaProgress{QuotaID: f.QuotaID, VenueCode: "MAIN", Needed: 4, Invited: 4, Sending: 4, Waiting: 4}, p.Quotas[0])

	gw := newFakeGateway(t)
	refused := "outbox:" + itoa(f.Invites[3])
	gw.setStatus(func(m notify.Message) int {
		if m.ID == refused {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	sink := &progressLog{}
	r := testenv.Redis(t)
	params := fastNotifier(r.Client, r.Prefix, gw.provider(t))
	params.Progress = sink
	n := startNotifier(t, e, params)
	waitOutbox(t, e)

	p, err = e.svc.DrawProgress(ctx, f.DrawID)
	require.NoError(t, err)
	require.Equal(t, expertpool.QuotaProgress{QuotaID: f.QuotaID, VenueCode: "MAIN", Needed: 4, Invited: 4, Sent: 3, Failed: 1, Waiting: 4}, p.Quotas[0])
	require.GreaterOrEqual(t, sink.count(f.DrawID), 4, "each delivery and the dead letter are heard of")

	_, err = e.svc.RecordPhoneAnswer(ctx, "user:7", f.Members[0], true, "")
	require.NoError(t, err)
	res, err := e.svc.RecordPhoneAnswer(ctx, "user:7", f.Members[1], false, "时间冲突")
	require.NoError(t, err)
	require.NotZero(t, res.ReplacementID)
	waitOutbox(t, e)
	n.Close()

	p, err = e.svc.DrawProgress(ctx, f.DrawID)
	require.NoError(t, err)
	require.Equal(t, expertpool.QuotaProgress{QuotaID: f.QuotaID, VenueCode: "MAIN", Needed: 4, Invited: 5, Sent: 4, Failed: 1,
		Waiting: 3, Accepted: 1, Declined: 1, Replaced: 1}, p.Quotas[0])
	require.Equal(t, p.Quotas[0].Invited, p.Total.Invited)
	require.Equal(t, 4, p.Total.Needed)

	_, err = e.svc.DrawProgress(ctx, f.DrawID+1000)
	require.True(t, errors.Is(err, expertpool.ErrNotFound))
}
