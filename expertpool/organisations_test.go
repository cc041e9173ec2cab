package expertpool_test

import (
	"context"
	"testing"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/stretchr/testify/require"
)

func TestUpsertOrganisation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	group := expertpool.Organisation{Code: "91320000MA1GROUP01", Name: "江苏建工集团有限公司", Principal: "王建国"}
	child := expertpool.Organisation{Code: "91320100ma1child01", Name: "南京建工有限公司", ParentCode: group.Code}
	require.NoError(t, e.svc.UpsertOrganisation(ctx, "user:1", group))
	require.NoError(t, e.svc.UpsertOrganisation(ctx, "user:1", child))

	got, err := e.svc.GetOrganisation(ctx, "91320100MA1CHILD01")
	require.NoError(t, err)
	require.Equal(t, expertpool.Organisation{Code: "91320100MA1CHILD01", Name: "南京建工有限公司", ParentCode: group.Code}, got)

	group.Principal = "李华"
	require.NoError(t, e.svc.UpsertOrganisation(ctx, "user:2", group))
	got, err = e.svc.GetOrganisation(ctx, group.Code)
	require.NoError(t, err)
	require.Equal(t, "李华", got.Principal)

	cases := []struct {
		name string
		org  expertpool.Organisation
		err  error
		want string
	}{
		{"short code", expertpool.Organisation{Code: "123", Name: "某单位"}, expertpool.ErrInvalid, "单位代码"},
		{"no name", expertpool.Organisation{Code: "91320100MA1OTHER01"}, expertpool.ErrInvalid, "单位名称"},
		{"unknown parent", expertpool.Organisation{Code: "91320100MA1OTHER01", Name: "某单位", ParentCode: "91320100MA1NOPE001"}, expertpool.ErrInvalid, "不存在"},
		{"own parent", expertpool.Organisation{Code: "91320100MA1OTHER01", Name: "某单位", ParentCode: "91320100MA1OTHER01"}, expertpool.ErrInvalid, "单位本身"},
		{"cycle", expertpool.Organisation{Code: group.Code, Name: group.Name, ParentCode: "91320100MA1CHILD01"}, expertpool.ErrInvalid, "循环"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := e.svc.UpsertOrganisation(ctx, "user:1", tc.org)
			require.ErrorIs(t, err, tc.err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	got, err = e.svc.GetOrganisation(ctx, group.Code)
	require.NoError(t, err)
	require.Empty(t, got.ParentCode)
	_, err = e.svc.GetOrganisation(ctx, "91320100MA1OTHER01")
	require.ErrorIs(t, err, expertpool.ErrNotFound)

	list, total, err := e.svc.ListOrganisations(ctx, expertpool.OrganisationFilter{Query: "南京"})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, "91320100MA1CHILD01", list[0].Code)
	_, total, err = e.svc.ListOrganisations(ctx, expertpool.OrganisationFilter{})
	require.NoError(t, err)
	require.Equal(t, 2, total)

	entries, err := e.audit.List(ctx, audit.Filter{Action: "organisation.upsert"})
	require.NoError(t, err)
	require.Len(t, entries, 3)
	require.NotContains(t, string(entries[2].Detail), "李华")
}
