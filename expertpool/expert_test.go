package expertpool_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/stretchr/testify/require"
)

// poolDay is a calendar date as the pool stores it.
func poolDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// poolIDNumber returns the i-th valid identity number of the test pool.
func poolIDNumber(i int) string {
	return idcard.Generate("320102", poolDay(1970, 1, 1).AddDate(0, 0, i/1000), i%1000)
}

// poolExpertInput returns valid input for the i-th test expert.
func poolExpertInput(i int) expertpool.ExpertInput {
	return expertpool.ExpertInput{
		Name:        fmt.Sprintf("专家%d", i),
		IDNumber:    poolIDNumber(i),
		Mobile:      fmt.Sprintf("139%08d", i),
		Region:      "320102",
		Specialties: []string{"A0101"},
	}
}

func countExperts(t *testing.T, e *env) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.QueryRow(context.Background(), "SELECT count(*) FROM expertpool.experts").Scan(&n))
	return n
}

func TestCreateExpertSealsAndMasksIDNumber(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	relative, err := e.svc.CreateExpert(ctx, "user:1", poolExpertInput(1))
	require.NoError(t, err)

	in := poolExpertInput(2)
	in.IDNumber = "11010519491231002x"
	in.Specialties = []string{"a0101", "C01", "A0101"}
	in.EmployerCode = "91320100mA1abcdef1"
	in.FormerEmployers = []expertpool.Employment{{OrgCode: "91320100MA1ABCDEF2", EndedOn: poolDay(2023, 5, 1)}}
	in.Consultancies = []expertpool.Consultancy{{OrgCode: "91320100MA1ABCDEF3", StartedOn: poolDay(2024, 1, 1), EndedOn: poolDay(2025, 1, 1)}}
	in.Relatives = []expertpool.RelativeInput{{IDNumber: poolIDNumber(1), Relation: "配偶"}, {OrgCode: "91320100MA1ABCDEF4"}}
	in.Unavailable = []time.Time{poolDay(2026, 12, 2), poolDay(2026, 12, 1), poolDay(2026, 12, 2)}
	got, err := e.svc.CreateExpert(ctx, "user:7", in)
	require.NoError(t, err)

	require.Equal(t, "110105********002X", got.IDNumberMasked)
	require.Equal(t, []string{"A0101", "C01"}, got.Specialties)
	require.Equal(t, "91320100MA1ABCDEF1", got.EmployerCode)
	require.Equal(t, expertpool.StatusActive, got.Status)
	require.Equal(t, []expertpool.Employment{{OrgCode: "91320100MA1ABCDEF2", EndedOn: poolDay(2023, 5, 1)}}, got.FormerEmployers)
	require.Equal(t, []expertpool.Consultancy{{OrgCode: "91320100MA1ABCDEF3", StartedOn: poolDay(2024, 1, 1), EndedOn: poolDay(2025, 1, 1)}}, got.Consultancies)
	require.Equal(t, []expertpool.Relative{{ExpertID: relative.ID, Relation: "配偶"}, {OrgCode: "91320100MA1ABCDEF4"}}, got.Relatives)
	require.Equal(t, []time.Time{poolDay(2026, 12, 1), poolDay(2026, 12, 2)}, got.Unavailable)

	var sealed, index []byte
	require.NoError(t, e.db.QueryRow(ctx, "SELECT id_number_sealed, id_number_index FROM expertpool.experts WHERE id = $1", got.ID).Scan(&sealed, &index))
	plain, err := e.keys.Open(sealed, []byte(expertpool.IDNumberAAD))
	require.NoError(t, err)
	require.Equal(t, "11010519491231002X", string(plain))
	require.Equal(t, e.keys.MAC(expertpool.IDIndexPurpose, []byte("11010519491231002X")), index)

	found, err := e.svc.FindExpertByIDNumber(ctx, "11010519491231002x")
	require.NoError(t, err)
	require.Equal(t, got.ID, found.ID)

	entries, err := e.audit.List(ctx, audit.Filter{Action: "expert.create", Object: fmt.Sprintf("expert:%d", got.ID)})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "user:7", entries[0].Actor)
	require.NotContains(t, string(entries[0].Detail), "1101051949")
	require.NotContains(t, string(entries[0].Detail), in.Mobile)
}

func TestCreateExpertRejectsBadInput(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	_, err := e.svc.CreateExpert(ctx, "user:1", poolExpertInput(1))
	require.NoError(t, err)
	cases := []struct {
		name   string
		change func(*expertpool.ExpertInput)
		want   string
	}{
		{"empty name", func(in *expertpool.ExpertInput) { in.Name = " " }, "姓名：不能为空"},
		{"checksum", func(in *expertpool.ExpertInput) { in.IDNumber = "110105194912310021" }, "身份证号：身份证号校验位错误"},
		{"scientific notation", func(in *expertpool.ExpertInput) { in.IDNumber = "1.10105E+17" }, "科学计数法"},
		{"birth in the future", func(in *expertpool.ExpertInput) {
			in.IDNumber = idcard.Generate("320102", poolDay(2027, 1, 1), 1)
		}, "出生日期无效"},
		{"mobile", func(in *expertpool.ExpertInput) { in.Mobile = "12345678901" }, "手机号"},
		{"region", func(in *expertpool.ExpertInput) { in.Region = "3201" }, "地区代码"},
		{"no specialty", func(in *expertpool.ExpertInput) { in.Specialties = nil }, "至少填写一个专业代码"},
		{"unknown specialty", func(in *expertpool.ExpertInput) { in.Specialties = []string{"Z99"} }, "专业代码 Z99 不存在"},
		{"employer code", func(in *expertpool.ExpertInput) { in.EmployerCode = "123" }, "工作单位代码"},
		{"former employer without end", func(in *expertpool.ExpertInput) {
			in.FormerEmployers = []expertpool.Employment{{OrgCode: "91320100MA1ABCDEF2"}}
		}, "缺少离职日期"},
		{"consultancy ends before start", func(in *expertpool.ExpertInput) {
			in.Consultancies = []expertpool.Consultancy{{OrgCode: "91320100MA1ABCDEF2", StartedOn: poolDay(2024, 1, 1), EndedOn: poolDay(2023, 1, 1)}}
		}, "结束日期早于开始日期"},
		{"relative unknown", func(in *expertpool.ExpertInput) {
			in.Relatives = []expertpool.RelativeInput{{IDNumber: poolIDNumber(99)}}
		}, "不在专家库中"},
		{"relative is self", func(in *expertpool.ExpertInput) {
			in.Relatives = []expertpool.RelativeInput{{IDNumber: in.IDNumber}}
		}, "不能把本人登记为亲属"},
		{"suspended without date", func(in *expertpool.ExpertInput) {
			in.Status = expertpool.StatusChange{Status: expertpool.StatusSuspended}
		}, "暂停至"},
		{"blacklisted without reason", func(in *expertpool.ExpertInput) {
			in.Status = expertpool.StatusChange{Status: expertpool.StatusBlacklisted}
		}, "禁入原因"},
		{"unknown status", func(in *expertpool.ExpertInput) {
			in.Status = expertpool.StatusChange{Status: "retired"}
		}, "状态"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := poolExpertInput(2)
			tc.change(&in)
			_, err := e.svc.CreateExpert(ctx, "user:1", in)
			require.ErrorIs(t, err, expertpool.ErrInvalid)
			require.Contains(t, err.Error(), tc.want)
			require.Equal(t, 1, countExperts(t, e))
		})
	}
}

func TestCreateExpertRefusesDuplicateIDNumber(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	in := poolExpertInput(1)
	in.IDNumber = "11010519491231002X"
	_, err := e.svc.CreateExpert(ctx, "user:1", in)
	require.NoError(t, err)
	in = poolExpertInput(2)
	in.IDNumber = "11010519491231002x"
	_, err = e.svc.CreateExpert(ctx, "user:1", in)
	require.ErrorIs(t, err, expertpool.ErrConflict)
	require.Contains(t, err.Error(), "已在专家库中")
	require.Equal(t, 1, countExperts(t, e))
}

func TestListExpertsFilters(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	specs := [][]string{{"A0101"}, {"A0102"}, {"C0101"}, {"A0101", "C0101"}}
	regions := []string{"320102", "320505", "340104", "370102"}
	for i := range 4 {
		in := poolExpertInput(i)
		in.Name = []string{"王建国", "李建华", "张伟", "王芳"}[i]
		in.Specialties, in.Region = specs[i], regions[i]
		_, err := e.svc.CreateExpert(ctx, "user:1", in)
		require.NoError(t, err)
	}
	cases := []struct {
		name  string
		f     expertpool.ExpertFilter
		names []string
	}{
		{"all", expertpool.ExpertFilter{}, []string{"王建国", "李建华", "张伟", "王芳"}},
		{"province", expertpool.ExpertFilter{RegionPrefix: "32"}, []string{"王建国", "李建华"}},
		{"city", expertpool.ExpertFilter{RegionPrefix: "3205"}, []string{"李建华"}},
		{"category matches subcategories", expertpool.ExpertFilter{Specialty: "A01"}, []string{"王建国", "李建华", "王芳"}},
		{"subcategory", expertpool.ExpertFilter{Specialty: "c0101"}, []string{"张伟", "王芳"}},
		{"name", expertpool.ExpertFilter{Query: "建"}, []string{"王建国", "李建华"}},
		{"page", expertpool.ExpertFilter{Limit: 2, Offset: 1}, []string{"李建华", "张伟"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := e.svc.ListExperts(ctx, tc.f)
			require.NoError(t, err)
			var names []string
			for _, x := range list {
				names = append(names, x.Name)
				require.Contains(t, x.IDNumberMasked, "********")
			}
			require.Equal(t, tc.names, names)
			if tc.f.Limit == 0 {
				require.Equal(t, len(tc.names), total)
			} else {
				require.Equal(t, 4, total)
			}
		})
	}
}

func TestSetExpertStatus(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	x, err := e.svc.CreateExpert(ctx, "user:1", poolExpertInput(1))
	require.NoError(t, err)
	cases := []struct {
		name    string
		change  expertpool.StatusChange
		wantErr error
		want    expertpool.Expert
	}{
		{"suspend", expertpool.StatusChange{Status: expertpool.StatusSuspended, SuspendedUntil: poolDay(2027, 1, 31), Reason: "ignored"}, nil,
			expertpool.Expert{Status: expertpool.StatusSuspended, SuspendedUntil: poolDay(2027, 1, 31)}},
		{"suspend into the past", expertpool.StatusChange{Status: expertpool.StatusSuspended, SuspendedUntil: poolDay(2026, 1, 1)}, expertpool.ErrInvalid,
			expertpool.Expert{Status: expertpool.StatusSuspended, SuspendedUntil: poolDay(2027, 1, 31)}},
		{"blacklist", expertpool.StatusChange{Status: expertpool.StatusBlacklisted, Reason: "评标中泄露信息"}, nil,
			expertpool.Expert{Status: expertpool.StatusBlacklisted, BlacklistReason: "评标中泄露信息"}},
		{"reactivate", expertpool.StatusChange{Status: expertpool.StatusActive}, nil, expertpool.Expert{Status: expertpool.StatusActive}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := e.svc.SetExpertStatus(ctx, "user:2", x.ID, tc.change)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			got, err := e.svc.GetExpert(ctx, x.ID)
			require.NoError(t, err)
			require.Equal(t, tc.want.Status, got.Status)
			require.Equal(t, tc.want.SuspendedUntil, got.SuspendedUntil)
			require.Equal(t, tc.want.BlacklistReason, got.BlacklistReason)
		})
	}
	require.ErrorIs(t, e.svc.SetExpertStatus(ctx, "user:2", x.ID+100, expertpool.StatusChange{Status: expertpool.StatusActive}), expertpool.ErrNotFound)
	entries, err := e.audit.List(ctx, audit.Filter{Action: "expert.status"})
	require.NoError(t, err)
	require.Len(t, entries, 3)
	var detail map[string]any
	require.NoError(t, json.Unmarshal(entries[0].Detail, &detail))
	require.Equal(t, "2027-01-31", detail["suspended_until"])
}

func TestSetUnavailableReplacesDays(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	x, err := e.svc.CreateExpert(ctx, "user:1", poolExpertInput(1))
	require.NoError(t, err)
	require.NoError(t, e.svc.SetUnavailable(ctx, "user:1", x.ID, []time.Time{poolDay(2026, 12, 3), poolDay(2026, 12, 1)}))
	got, err := e.svc.GetExpert(ctx, x.ID)
	require.NoError(t, err)
	require.Equal(t, []time.Time{poolDay(2026, 12, 1), poolDay(2026, 12, 3)}, got.Unavailable)

	require.NoError(t, e.svc.SetUnavailable(ctx, "user:1", x.ID, nil))
	got, err = e.svc.GetExpert(ctx, x.ID)
	require.NoError(t, err)
	require.Empty(t, got.Unavailable)

	require.ErrorIs(t, e.svc.SetUnavailable(ctx, "user:1", x.ID+1, nil), expertpool.ErrNotFound)
	require.ErrorIs(t, e.svc.SetUnavailable(ctx, "", x.ID, nil), expertpool.ErrInvalid)
}
