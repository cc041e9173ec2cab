package notify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/expertpool/notify"
)

func TestInboxKeepsLatestOncePerID(t *testing.T) {
	at := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	b := &notify.Inbox{Now: func() time.Time { return at }}
	ctx := context.Background()
	require.NoError(t, b.Send(ctx, notify.Message{ID: "outbox:1", To: "13800000001", Text: "邀请", Link: "http://x/confirm?t=a"}))
	require.NoError(t, b.Send(ctx, notify.Message{ID: "outbox:1", To: "13800000001", Text: "邀请"})) // a retry
	require.NoError(t, b.Send(ctx, notify.Message{ID: "outbox:2", To: "13800000002", Text: "邀请"}))
	got := b.Messages()
	require.Len(t, got, 2)
	require.Equal(t, "outbox:2", got[0].ID, "newest first")
	require.Equal(t, "http://x/confirm?t=a", got[1].Link)
	require.Equal(t, at, got[1].At)
	for i := 3; i < 600; i++ {
		require.NoError(t, b.Send(ctx, notify.Message{ID: fmt.Sprintf("outbox:%d", i)}))
	}
	got = b.Messages()
	require.Len(t, got, 500, "bounded")
	require.Equal(t, "outbox:599", got[0].ID)
}
