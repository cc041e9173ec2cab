package expertpool_test

import (
	"context"
	"testing"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

func TestMessagesNameTimeVenueDeadlineButNeverBidders(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 1)
	cases := []struct {
		kind string
		want []string
	}{
		{expertpool.KindInvite, []string{"2026年11月25日 09:00至12:00", fixtureVenue, fixtureAddress, "请于2026年11月22日 09:30前答复", "按1确认参加，按2拒绝，按3重听", "确认链接"}},
		{expertpool.KindRepeat, []string{"（重播）", "2026年11月25日 09:00", fixtureVenue, "按1确认参加，按2拒绝，按3重听"}},
		{expertpool.KindConfirmed, []string{"您已确认参加", "2026年11月25日 09:00", fixtureVenue, fixtureAddress}},
		{expertpool.KindReleased, []string{"邀请已失效", "2026年11月22日 09:30"}},
		{expertpool.KindCancelled, []string{"已取消", fixtureVenue}},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			m, err := e.svc.PreviewMessage(context.Background(), f.Members[0], tc.kind)
			require.NoError(t, err)
			for _, w := range tc.want {
				require.Contains(t, m.Text, w)
			}
			for _, b := range f.Bidders {
				require.NotContains(t, m.Text, b[0], "bidder code")
				require.NotContains(t, m.Text, b[1], "bidder name")
			}
			require.NotContains(t, m.Text, "西湖区学校改扩建工程施工", "project name")
			require.NotContains(t, m.To, f.Mobiles[0][3:7], "preview masks the mobile")
			require.Equal(t, f.Mobiles[0][7:], m.To[7:])
		})
	}
	_, err := e.svc.PreviewMessage(context.Background(), f.Members[0], "bogus")
	require.ErrorIs(t, err, expertpool.ErrInvalid)
}
