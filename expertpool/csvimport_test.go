package expertpool_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/stretchr/testify/require"
)

const csvHeader = "姓名,身份证号,手机号,地区代码,专业代码,工作单位代码,曾任职单位,咨询关系,亲属,状态,暂停至,禁入原因,不可用日期\n"

// csvRow is one data row of csvHeader's columns.
func csvRow(name, id, mobile, region, specs string, rest ...string) string {
	cols := append([]string{name, id, mobile, region, specs}, rest...)
	for len(cols) < 13 {
		cols = append(cols, "")
	}
	return strings.Join(cols, ",") + "\n"
}

func TestImportExpertsGoodFile(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	inPool, err := e.svc.CreateExpert(ctx, "user:1", poolExpertInput(0))
	require.NoError(t, err)

	file := "\uFEFF" + csvHeader +
		csvRow("王建国", poolIDNumber(1), "13912345601", "320102", "A0101;C0101", "91320100MA1EMPLOY1",
			"91320100MA1FORMER1:2022-06-30；91320100MA1FORMER2:2019/1/31", "91320100MA1CONSUL1:2024-01-01:2024-12-31",
			poolIDNumber(0)+"(兄弟)", "在库", "", "", "2026-12-01;2026-12-02") +
		csvRow("李秀英", poolIDNumber(2)[:17]+strings.ToLower(poolIDNumber(2)[17:]), "13912345602", "340104", "A01", "",
			"", "", "单位:91340100MA1PRINC01（配偶）;"+poolIDNumber(3), "暂停", "2027-03-31") +
		csvRow(`"张 伟"`, poolIDNumber(3), "13912345603", "370102", "B0103", "", "", "", poolIDNumber(2), "禁入", "", `"多次无故缺席,
经查属实"`)
	rep, err := e.svc.ImportExperts(ctx, "user:9", strings.NewReader(file))
	require.Empty(t, rep.Errors)
	require.NoError(t, err)
	require.Equal(t, expertpool.ImportReport{Rows: 3, Imported: 3}, rep)
	require.Equal(t, 4, countExperts(t, e))

	list, total, err := e.svc.ListExperts(ctx, expertpool.ExpertFilter{})
	require.NoError(t, err)
	require.Equal(t, 4, total)
	byName := map[string]expertpool.Expert{}
	for _, x := range list {
		full, err := e.svc.GetExpert(ctx, x.ID)
		require.NoError(t, err)
		byName[x.Name] = full
	}
	wang, li, zhang := byName["王建国"], byName["李秀英"], byName["张 伟"]
	require.Equal(t, []string{"A0101", "C0101"}, wang.Specialties)
	require.Equal(t, "91320100MA1EMPLOY1", wang.EmployerCode)
	require.Equal(t, []expertpool.Employment{
		{OrgCode: "91320100MA1FORMER2", EndedOn: poolDay(2019, 1, 31)},
		{OrgCode: "91320100MA1FORMER1", EndedOn: poolDay(2022, 6, 30)},
	}, wang.FormerEmployers)
	require.Equal(t, []expertpool.Consultancy{{OrgCode: "91320100MA1CONSUL1", StartedOn: poolDay(2024, 1, 1), EndedOn: poolDay(2024, 12, 31)}}, wang.Consultancies)
	require.Equal(t, []expertpool.Relative{{ExpertID: inPool.ID, Relation: "兄弟"}}, wang.Relatives)
	require.Equal(t, []time.Time{poolDay(2026, 12, 1), poolDay(2026, 12, 2)}, wang.Unavailable)

	require.Equal(t, expertpool.StatusSuspended, li.Status)
	require.Equal(t, poolDay(2027, 3, 31), li.SuspendedUntil)
	require.ElementsMatch(t, []expertpool.Relative{{OrgCode: "91340100MA1PRINC01", Relation: "配偶"}, {ExpertID: zhang.ID}}, li.Relatives)

	require.Equal(t, expertpool.StatusBlacklisted, zhang.Status)
	require.Equal(t, "多次无故缺席,\n经查属实", zhang.BlacklistReason)
	require.Equal(t, []expertpool.Relative{{ExpertID: li.ID}}, zhang.Relatives)

	var sealed []byte
	require.NoError(t, e.db.QueryRow(ctx, "SELECT id_number_sealed FROM expertpool.experts WHERE id = $1", li.ID).Scan(&sealed))
	plain, err := e.keys.Open(sealed, []byte(expertpool.IDNumberAAD))
	require.NoError(t, err)
	require.Equal(t, poolIDNumber(2), string(plain))

	entries, err := e.audit.List(ctx, audit.Filter{Action: "expert.import"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "user:9", entries[0].Actor)
	require.Contains(t, string(entries[0].Detail), `"experts":3`)
	require.NotContains(t, string(entries[0].Detail), poolIDNumber(1)[:10])
	require.NotContains(t, string(entries[0].Detail), "13912345601")
}

func TestImportExpertsRejectsBadFiles(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	_, err := e.svc.CreateExpert(ctx, "user:1", poolExpertInput(0))
	require.NoError(t, err)
	good := func(i int) string {
		return csvRow("专家", poolIDNumber(i), "13900000000", "320102", "A0101")
	}
	cases := []struct {
		name string
		file string
		want []expertpool.ImportError // Message is matched as a substring
	}{
		{"GBK encoding", "\xd0\xd5\xc3\xfb,\xc9\xed\xb7\xdd\xd6\xa4\xba\xc5\n" + good(1),
			[]expertpool.ImportError{{Message: "文件不是 UTF-8 编码（第1行"}}},
		{"UTF-16", "\xff\xfe" + "x\x00", []expertpool.ImportError{{Message: "UTF-16"}}},
		{"empty file", "", []expertpool.ImportError{{Message: "文件为空"}}},
		{"header only", csvHeader, []expertpool.ImportError{{Message: "没有数据行"}}},
		{"missing required column", "姓名,身份证号,地区代码,专业代码\n专家," + poolIDNumber(1) + ",320102,A0101\n",
			[]expertpool.ImportError{{Line: 1, Column: "手机号", Message: "缺少必填列"}}},
		{"unknown and repeated columns", "姓名,身份证号,手机号,地区代码,专业代码,电话,姓名\n",
			[]expertpool.ImportError{{Line: 1, Column: "电话", Message: "未知的列"}, {Line: 1, Column: "姓名", Message: "列重复"}}},
		{"duplicate ID number within the file", csvHeader + good(1) + good(2) + good(1),
			[]expertpool.ImportError{{Line: 4, Column: "身份证号", Message: "与第2行的身份证号重复"}}},
		{"duplicate ID number in the pool", csvHeader + good(1) + good(0),
			[]expertpool.ImportError{{Line: 3, Column: "身份证号", Message: "已在专家库中"}}},
		{"invalid checksum", csvHeader + csvRow("专家", poolIDNumber(1)[:17]+"9", "13900000000", "320102", "A0101"),
			[]expertpool.ImportError{{Line: 2, Column: "身份证号", Message: "校验位错误"}}},
		{"unknown specialty", csvHeader + good(1) + csvRow("专家", poolIDNumber(2), "13900000000", "320102", "A0101;Z99"),
			[]expertpool.ImportError{{Line: 3, Column: "专业代码", Message: "Z99 不存在"}}},
		{"bad dates", csvHeader + csvRow("专家", poolIDNumber(1), "13900000000", "320102", "A0101", "", "91320100MA1FORMER1:2022-02-30", "", "", "暂停", "明年"),
			[]expertpool.ImportError{{Line: 2, Column: "曾任职单位", Message: "离职日期 \"2022-02-30\" 无效"},
				{Line: 2, Column: "暂停至", Message: "日期 \"明年\" 无效"}, {Line: 2, Column: "暂停至", Message: "必须填写暂停至日期"}}},
		{"relative in neither file nor pool", csvHeader + csvRow("专家", poolIDNumber(1), "13900000000", "320102", "A0101", "", "", "", poolIDNumber(7)),
			[]expertpool.ImportError{{Line: 2, Column: "亲属", Message: "既不在本文件中，也不在专家库中"}}},
		{"every error is listed, by physical line", csvHeader +
			csvRow("专家", poolIDNumber(1), "12345", "320102", "A0101", "", "", "", "", "禁入", "", "\"第一行\n第二行\"") +
			csvRow("专家", poolIDNumber(2), "13900000000", "3201", "A0101", "", "", "", "", "", "", "", "2026-12-1;下周"),
			[]expertpool.ImportError{{Line: 2, Column: "手机号", Message: "11位手机号码"},
				{Line: 4, Column: "地区代码", Message: "6位行政区划代码"}, {Line: 4, Column: "不可用日期", Message: "\"下周\" 无效"}}},
		{"wrong number of fields", csvHeader + "专家," + poolIDNumber(1) + "\n",
			[]expertpool.ImportError{{Line: 2, Message: "该行有2列，表头有13列"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := e.svc.ImportExperts(ctx, "user:1", strings.NewReader(tc.file))
			require.ErrorIs(t, err, expertpool.ErrInvalid)
			require.Contains(t, err.Error(), "未导入任何专家")
			require.Zero(t, rep.Imported)
			require.Len(t, rep.Errors, len(tc.want), "%v", rep.Errors)
			for i, w := range tc.want {
				got := rep.Errors[i]
				require.Equal(t, w.Line, got.Line, got.String())
				require.Equal(t, w.Column, got.Column, got.String())
				require.Contains(t, got.Message, w.Message)
			}
			require.Equal(t, 1, countExperts(t, e))
		})
	}
	entries, err := e.audit.List(ctx, audit.Filter{Action: "expert.import"})
	require.NoError(t, err)
	require.Empty(t, entries)
}

// TestImportDocExample imports the example file of IMPORT.md, so the
// documentation cannot drift from the code.
func TestImportDocExample(t *testing.T) {
	doc, err := os.ReadFile("IMPORT.md")
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(doc), "```csv\n")
	require.True(t, ok)
	example, _, ok := strings.Cut(after, "```")
	require.True(t, ok)

	e := newEnv(t, nil)
	ctx := context.Background()
	rep, err := e.svc.ImportExperts(ctx, "user:1", strings.NewReader(example))
	require.Empty(t, rep.Errors)
	require.NoError(t, err)
	require.Equal(t, 3, rep.Imported)
	first, err := e.svc.FindExpertByIDNumber(ctx, "320102197503120034")
	require.NoError(t, err)
	third, err := e.svc.FindExpertByIDNumber(ctx, "370102196809050010")
	require.NoError(t, err)
	require.Equal(t, []expertpool.Relative{{ExpertID: first.ID, Relation: "兄弟"}}, third.Relatives)
	require.Equal(t, expertpool.StatusBlacklisted, third.Status)
}

// BenchmarkImportExperts10k imports a file of 10,000 experts:
// go test ./expertpool -run '^$' -bench ImportExperts10k -benchtime 1x
func BenchmarkImportExperts10k(b *testing.B) {
	var file strings.Builder
	file.WriteString(csvHeader)
	for i := range 10_000 {
		rel := ""
		if i > 0 && i%50 == 0 {
			rel = poolIDNumber(i - 1)
		}
		file.WriteString(csvRow("专家", poolIDNumber(i), "13900000000", "320102", "A0101;C0101", "91320100MA1EMPLOY1",
			"91320100MA1FORMER1:2022-06-30", "", rel, "", "", "", "2026-12-01"))
	}
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, nil)
		b.StartTimer()
		rep, err := e.svc.ImportExperts(context.Background(), "user:1", strings.NewReader(file.String()))
		require.NoError(b, err)
		require.Equal(b, 10_000, rep.Imported)
	}
}
