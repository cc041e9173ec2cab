package expertpool_test

import (
	"context"
	"testing"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

func TestCheckIDSuffix(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	project := e.addProject(t)
	var numbers []string
	for i := 41; i < 46; i++ {
		in := poolExpertInput(i)
		_, err := e.svc.CreateExpert(ctx, "user:1", in)
		require.NoError(t, err)
		numbers = append(numbers, in.IDNumber)
	}
	res, err := e.svc.CreateDraw(ctx, "user:1", oneVenue(project, sessionStart, "A0101", "32", 5))
	require.NoError(t, err)
	members := e.notifiedMembers(t, res.DrawID)
	require.Len(t, members, 5)

	// Each member matches exactly one of the drawn experts' numbers.
	owner := map[int64]string{}
	for _, m := range members {
		for _, n := range numbers {
			ok, err := e.svc.CheckIDSuffix(ctx, m, n[len(n)-6:])
			require.NoError(t, err)
			if ok {
				require.Empty(t, owner[m], "member %d matches two numbers", m)
				owner[m] = n
			}
		}
		require.NotEmpty(t, owner[m], "member %d matches no number", m)
	}
	require.Len(t, owner, 5)

	m := members[0]
	number := owner[m]
	wrong := []byte(number[len(number)-6:])
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	cases := []struct {
		name   string
		suffix string
		ok     bool
		err    error
	}{
		{"last 6", number[len(number)-6:], true, nil},
		{"last 4", number[len(number)-4:], true, nil},
		{"last 5 with spaces", " " + number[len(number)-5:] + " ", true, nil},
		{"wrong digit", string(wrong), false, nil},
		{"too short", number[len(number)-3:], false, expertpool.ErrInvalid},
		{"too long", number[len(number)-7:], false, expertpool.ErrInvalid},
		{"letters", "12AB34", false, expertpool.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := e.svc.CheckIDSuffix(ctx, m, tc.suffix)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.ok, ok)
		})
	}
	_, err = e.svc.CheckIDSuffix(ctx, 999999, "123456")
	require.ErrorIs(t, err, expertpool.ErrNotFound)
}
