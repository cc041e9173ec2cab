package expertpool_test

import (
	"context"
	"testing"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

func poolProjectInput() expertpool.ProjectInput {
	return expertpool.ProjectInput{
		Code: "JSZB-2026-0001", Name: "南京市某中学教学楼新建工程", TendererCode: "11320100MB1TENDER1",
		Bidders:  []expertpool.Bidder{{OrgCode: "91320100MA1BIDDER1", Name: "甲建设公司"}, {OrgCode: "91320100ma1bidder2"}},
		Category: "A0101", Region: "320102",
	}
}

func TestCreateProject(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	p, err := e.svc.CreateProject(ctx, "user:1", poolProjectInput())
	require.NoError(t, err)
	require.Equal(t, "JSZB-2026-0001", p.Code)
	require.Equal(t, []expertpool.Bidder{{OrgCode: "91320100MA1BIDDER1", Name: "甲建设公司"}, {OrgCode: "91320100MA1BIDDER2"}}, p.Bidders)
	require.Equal(t, testStart, p.CreatedAt)

	got, err := e.svc.GetProject(ctx, p.ID)
	require.NoError(t, err)
	require.Equal(t, p, got)
	_, err = e.svc.GetProject(ctx, p.ID+1)
	require.ErrorIs(t, err, expertpool.ErrNotFound)

	_, err = e.svc.CreateProject(ctx, "user:1", poolProjectInput())
	require.ErrorIs(t, err, expertpool.ErrConflict)
	require.Contains(t, err.Error(), "项目编号 JSZB-2026-0001 已存在")

	cases := []struct {
		name   string
		change func(*expertpool.ProjectInput)
		want   string
	}{
		{"no code", func(p *expertpool.ProjectInput) { p.Code = "" }, "项目编号：不能为空"},
		{"tenderer code", func(p *expertpool.ProjectInput) { p.TendererCode = "x" }, "招标人代码"},
		{"no bidders", func(p *expertpool.ProjectInput) { p.Bidders = nil }, "至少填写一个投标人"},
		{"duplicate bidder", func(p *expertpool.ProjectInput) { p.Bidders = append(p.Bidders, p.Bidders[0]) }, "重复"},
		{"tenderer bids", func(p *expertpool.ProjectInput) { p.Bidders = []expertpool.Bidder{{OrgCode: p.TendererCode}} }, "不能是招标人本身"},
		{"unknown category", func(p *expertpool.ProjectInput) { p.Category = "Q01" }, "项目类别"},
		{"region", func(p *expertpool.ProjectInput) { p.Region = "" }, "项目地区"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := poolProjectInput()
			in.Code = "JSZB-2026-0002"
			tc.change(&in)
			_, err := e.svc.CreateProject(ctx, "user:1", in)
			require.ErrorIs(t, err, expertpool.ErrInvalid)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	list, total, err := e.svc.ListProjects(ctx, expertpool.ProjectFilter{Query: "教学楼"})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, []expertpool.Project{p}, list)
}

func TestListSpecialties(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	list, err := e.svc.ListSpecialties(ctx)
	require.NoError(t, err)
	require.Equal(t, expertpool.Specialty{Code: "A01", Name: "房屋建筑", Field: "technical"}, list[0])
	require.Equal(t, expertpool.Specialty{Code: "A0101", ParentCode: "A01", Name: "土建", Field: "technical"}, list[1])
	for _, tc := range []struct {
		code string
		ok   bool
	}{{"A01", true}, {"c0101", true}, {"Z99", false}} {
		ok, err := e.svc.SpecialtyExists(ctx, tc.code)
		require.NoError(t, err)
		require.Equal(t, tc.ok, ok, tc.code)
	}
}
