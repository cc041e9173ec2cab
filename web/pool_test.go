package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

const csvHeader = "姓名,身份证号,手机号,地区代码,专业代码\n"

// idNumber returns the i-th made-up identity number of the tests.
func idNumber(i int) string {
	return idcard.Generate("320102", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), i)
}

// expertsCSV is a file of n good experts in Nanjing (320102), specialty
// A0101, numbered from first.
func expertsCSV(first, n int) string { return regionCSV(first, n, "320102") }

// regionCSV is a file of n good experts in region, specialty A0101,
// numbered from first.
func regionCSV(first, n int, region string) string {
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "专家%d,%s,139%08d,%s,A0101\n", i, idNumber(i), i, region)
	}
	return b.String()
}

func TestExpertsAPI(t *testing.T) {
	e := newEnv(t)
	c, _ := e.login(t, "root", auth.RoleAdmin)
	staff, _ := e.login(t, "staff", auth.RoleStaff)

	var x expertpool.Expert
	in := map[string]any{"name": "王建国", "id_number": idNumber(1), "mobile": "13912345678", "region": "320102", "specialties": []string{"A0101"}}
	c.call(http.MethodPost, "/api/experts", in, http.StatusCreated, &x)
	require.Equal(t, idcard.Mask(idNumber(1)), x.IDNumberMasked)

	bad := map[string]any{"name": "李四", "id_number": idNumber(2)[:17] + "0", "mobile": "13912345678", "region": "320102", "specialties": []string{"A0101"}}
	if idNumber(2)[17] == '0' {
		bad["id_number"] = idNumber(2)[:17] + "1"
	}
	got := c.fail(http.MethodPost, "/api/experts", bad, http.StatusUnprocessableEntity, "invalid")
	require.Contains(t, got.Error.Message, "身份证号")
	require.NotContains(t, got.Error.Message, "expertpool")
	got = c.fail(http.MethodPost, "/api/experts", in, http.StatusConflict, "conflict")

	staff.fail(http.MethodGet, "/api/experts", nil, http.StatusForbidden, "forbidden")
	var list struct {
		Items []expertpool.Expert
		Total int
	}
	c.call(http.MethodGet, "/api/experts?region_prefix=32&specialty=A01", nil, http.StatusOK, &list)
	require.Equal(t, 1, list.Total)
	c.call(http.MethodGet, "/api/experts?region_prefix=33", nil, http.StatusOK, &list)
	require.Zero(t, list.Total)

	path := fmt.Sprintf("/api/experts/%d", x.ID)
	c.call(http.MethodPut, path+"/status", map[string]string{"status": "suspended", "suspended_until": "2027-01-31"}, http.StatusOK, &x)
	require.Equal(t, expertpool.StatusSuspended, x.Status)
	require.Equal(t, "2027-01-31", x.SuspendedUntil.Format(time.DateOnly))
	c.fail(http.MethodPut, path+"/status", map[string]string{"status": "blacklisted"}, http.StatusUnprocessableEntity, "invalid")
	c.fail(http.MethodPut, path+"/status", map[string]string{"status": "active", "suspended_until": "明天"}, http.StatusBadRequest, "bad_request")
	c.call(http.MethodPut, path+"/unavailable", map[string]any{"days": []string{"2026-12-02", "2026-12-01"}}, http.StatusOK, &x)
	require.Len(t, x.Unavailable, 2)
	c.call(http.MethodGet, path, nil, http.StatusOK, &x)
	require.Equal(t, "王建国", x.Name)
	c.fail(http.MethodGet, "/api/experts/999999", nil, http.StatusNotFound, "not_found")

	var specs struct{ Items []expertpool.Specialty }
	evaluator, _ := e.login(t, "pw", auth.RoleEvaluator)
	evaluator.call(http.MethodGet, "/api/specialties", nil, http.StatusOK, &specs)
	require.NotEmpty(t, specs.Items)
}

func TestImportExpertsAPI(t *testing.T) {
	e := newEnv(t)
	c, _ := e.login(t, "root", auth.RoleAdmin)

	// One bad row: nothing is imported and every problem is reported.
	file := expertsCSV(1, 2) + "专家X," + idNumber(1) + ",12345,320102,Z99\n"
	status, body, _ := c.raw(http.MethodPost, "/api/experts/import", file, "Content-Type", "text/csv; charset=utf-8")
	require.Equal(t, http.StatusUnprocessableEntity, status, string(body))
	var bad apiErr
	require.NoError(t, jsonUnmarshal(body, &bad))
	require.Equal(t, "invalid", bad.Error.Code)
	require.Contains(t, bad.Error.Message, "未导入任何专家")
	var rows []expertpool.ImportError
	require.NoError(t, jsonUnmarshal(bad.Error.Rows, &rows))
	require.NotEmpty(t, rows)
	cols := map[string]bool{}
	for _, r := range rows {
		require.Equal(t, 4, r.Line, r.String())
		cols[r.Column] = true
	}
	require.True(t, cols["身份证号"] && cols["手机号"] && cols["专业代码"], "%v", rows)
	var list struct{ Total int }
	c.call(http.MethodGet, "/api/experts", nil, http.StatusOK, &list)
	require.Zero(t, list.Total)

	// A good file as a multipart upload.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "专家.csv")
	require.NoError(t, err)
	_, err = fw.Write([]byte(expertsCSV(1, 3)))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	status, body, _ = c.raw(http.MethodPost, "/api/experts/import", buf.Bytes(), "Content-Type", mw.FormDataContentType())
	require.Equal(t, http.StatusOK, status, string(body))
	var rep expertpool.ImportReport
	require.NoError(t, jsonUnmarshal(body, &rep))
	require.Equal(t, expertpool.ImportReport{Rows: 3, Imported: 3}, rep)

	c.fail(http.MethodPost, "/api/experts/import", `{"x":1}`, http.StatusBadRequest, "bad_request")
}

func TestOrganisationsAndProjectsAPI(t *testing.T) {
	e := newEnv(t)
	c, _ := e.login(t, "root", auth.RoleAdmin)
	staff, _ := e.login(t, "staff", auth.RoleStaff)
	const tenderer = "91320100MA1TENDER1"
	staff.fail(http.MethodPut, "/api/organisations/"+tenderer, map[string]string{"name": "南京市教育局"}, http.StatusForbidden, "forbidden")
	var o expertpool.Organisation
	c.call(http.MethodPut, "/api/organisations/"+tenderer, map[string]string{"name": "南京市教育局", "principal": "赵六"}, http.StatusOK, &o)
	require.Equal(t, "南京市教育局", o.Name)
	c.fail(http.MethodPut, "/api/organisations/123", map[string]string{"name": "x"}, http.StatusUnprocessableEntity, "invalid")
	staff.call(http.MethodGet, "/api/organisations/"+tenderer, nil, http.StatusOK, &o)
	staff.fail(http.MethodGet, "/api/organisations/91320100MA1NOBODY1", nil, http.StatusNotFound, "not_found")

	var p expertpool.Project
	staff.call(http.MethodPost, "/api/projects", projectInput("NJ-2026-001"), http.StatusCreated, &p)
	require.Equal(t, "NJ-2026-001", p.Code)
	staff.fail(http.MethodPost, "/api/projects", projectInput("NJ-2026-001"), http.StatusConflict, "conflict")
	var list struct {
		Items []expertpool.Project
		Total int
	}
	staff.call(http.MethodGet, "/api/projects?q=NJ", nil, http.StatusOK, &list)
	require.Equal(t, 1, list.Total)
	staff.call(http.MethodGet, fmt.Sprintf("/api/projects/%d", p.ID), nil, http.StatusOK, &p)
	require.Len(t, p.Bidders, 2)
}

func projectInput(code string) map[string]any {
	return map[string]any{"code": code, "name": "南京市某小学改扩建工程施工", "tenderer_code": "91320100MA1TENDER1",
		"bidders":  []map[string]string{{"org_code": "91320100MA1BIDDER1", "name": "甲建设公司"}, {"org_code": "91320100MA1BIDDER2", "name": "乙建设公司"}},
		"category": "A0101", "region": "320102"}
}

// drawSetup imports n experts in Nanjing and 3 in Hefei and registers a
// project, and returns the request for a draw three days ahead of 4
// experts at the main venue V1 in Nanjing and 1 at the remote venue V2 in
// Hefei.
func drawSetup(t *testing.T, e *env, admin *client, n int) map[string]any {
	t.Helper()
	status, body, _ := admin.raw(http.MethodPost, "/api/experts/import", expertsCSV(100, n), "Content-Type", "text/csv")
	require.Equal(t, http.StatusOK, status, string(body))
	status, body, _ = admin.raw(http.MethodPost, "/api/experts/import", regionCSV(500, 3, "340104"), "Content-Type", "text/csv")
	require.Equal(t, http.StatusOK, status, string(body))
	var p expertpool.Project
	admin.call(http.MethodPost, "/api/projects", projectInput("NJ-DRAW-1"), http.StatusCreated, &p)
	start := e.clock.Now().Add(72 * time.Hour)
	return map[string]any{
		"project_id": p.ID, "session_ref": "S1", "starts_at": start, "ends_at": start.Add(3 * time.Hour),
		"venues": []map[string]any{
			{"code": "V1", "name": "南京主场", "address": "南京市建邺区江东中路1号", "region": "320102", "main": true},
			{"code": "V2", "name": "合肥副场", "address": "合肥市蜀山区怀宁路1号", "region": "340104"},
		},
		"quotas": []map[string]any{
			{"venue_code": "V1", "specialty_code": "A0101", "region_prefix": "32", "count": 4},
			{"venue_code": "V2", "specialty_code": "A0101", "region_prefix": "34", "count": 1},
		},
	}
}

// members returns the draw's member ids.
func (e *env) members(t *testing.T, drawID int64) []int64 {
	t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT id FROM expertpool.members WHERE draw_id = $1 AND state = 'notified' ORDER BY id`, drawID)
	require.NoError(t, err)
	var ids []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

func TestCreateDrawAPI(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.login(t, "root", auth.RoleAdmin)
	staff, _ := e.login(t, "staff", auth.RoleStaff)
	evaluator, _ := e.login(t, "pw", auth.RoleEvaluator)
	req := drawSetup(t, e, admin, 7)

	evaluator.fail(http.MethodPost, "/api/draws", req, http.StatusForbidden, "forbidden")

	big := map[string]any{}
	for k, v := range req {
		big[k] = v
	}
	big["quotas"] = []map[string]any{
		{"venue_code": "V1", "specialty_code": "A0101", "region_prefix": "32", "count": 8},
		{"venue_code": "V2", "specialty_code": "A0101", "region_prefix": "34", "count": 1},
	}
	got := staff.fail(http.MethodPost, "/api/draws", big, http.StatusConflict, "quota_unfilled")
	require.Contains(t, string(got.Error.Funnel), `"funnels"`)
	require.Contains(t, string(got.Error.Funnel), `"remaining":7`)

	past := map[string]any{}
	for k, v := range req {
		past[k] = v
	}
	past["starts_at"] = e.clock.Now().Add(-time.Hour)
	past["ends_at"] = e.clock.Now().Add(time.Hour)
	got = staff.fail(http.MethodPost, "/api/draws", past, http.StatusUnprocessableEntity, "invalid")
	require.Equal(t, "评标开始时间必须晚于当前时间", got.Error.Message)

	var res expertpool.DrawResult
	body := staff.call(http.MethodPost, "/api/draws", req, http.StatusCreated, &res)
	require.Equal(t, 5, res.Notified)
	require.NotContains(t, string(body), "专家", "the answer names no expert")
	require.Len(t, e.members(t, res.DrawID), 5)
	path := "/api/draws/" + itoa(res.DrawID)

	var st expertpool.DrawStatus
	body = staff.call(http.MethodGet, path, nil, http.StatusOK, &st)
	require.NotContains(t, string(body), "专家", "the status names no expert")
	require.True(t, st.Sealed)
	require.Equal(t, 5, st.Needed)
	require.Equal(t, "已确认0人，共需5人", st.Summary)
	evaluator.fail(http.MethodGet, path, nil, http.StatusForbidden, "forbidden")
	supervisor, _ := e.login(t, "jiandu", auth.RoleSupervisor)
	supervisor.call(http.MethodGet, path, nil, http.StatusOK, nil)
	staff.fail(http.MethodGet, "/api/draws/999999", nil, http.StatusNotFound, "not_found")

	// Sealed until sign-in opens, for staff and admins alike.
	staff.fail(http.MethodPost, path+"/reveal", nil, http.StatusForbidden, "sealed")
	admin.fail(http.MethodPost, path+"/reveal", nil, http.StatusForbidden, "sealed")
	supervisor.fail(http.MethodPost, path+"/reveal", nil, http.StatusForbidden, "forbidden")

	e.clock.Set(req["starts_at"].(time.Time).Add(-10 * time.Minute))
	for _, c := range []*client{staff, admin, supervisor} {
		c.relogin()
	}
	var mine struct{ Items []expertpool.RevealedMember }
	staff.call(http.MethodPost, path+"/reveal", nil, http.StatusOK, &mine)
	require.Len(t, mine.Items, 4, "staff see their own venue")
	for _, m := range mine.Items {
		require.Equal(t, "V1", m.VenueCode)
		require.Contains(t, m.Name, "专家")
	}
	staff.fail(http.MethodPost, path+"/reveal?venue=V2", nil, http.StatusForbidden, "forbidden")
	var all struct{ Items []expertpool.RevealedMember }
	admin.call(http.MethodPost, path+"/reveal", nil, http.StatusOK, &all)
	require.Len(t, all.Items, 5)
	admin.call(http.MethodPost, path+"/reveal?venue=V2", nil, http.StatusOK, &all)
	require.Len(t, all.Items, 1)

	// The seed: admins wait for the session to end, supervisors may force.
	admin.fail(http.MethodPost, path+"/seed/reveal", nil, http.StatusForbidden, "sealed")
	staff.fail(http.MethodPost, path+"/seed/reveal", nil, http.StatusForbidden, "forbidden")
	var seed struct {
		DrawID int64  `json:"draw_id"`
		Seed   string `json:"seed"`
	}
	supervisor.call(http.MethodPost, path+"/seed/reveal", nil, http.StatusOK, &seed)
	require.Len(t, seed.Seed, 64)
	admin.call(http.MethodPost, path+"/seed/reveal", nil, http.StatusOK, &seed)
	require.Len(t, seed.Seed, 64, "once revealed, it stays revealed")

	var rep expertpool.VerifyReport
	supervisor.call(http.MethodGet, path+"/verify", nil, http.StatusOK, &rep)
	require.True(t, rep.OK, rep.Mismatch)
	require.Equal(t, 5, rep.Members)
	staff.fail(http.MethodGet, path+"/verify", nil, http.StatusForbidden, "forbidden")
	status, body, h := admin.raw(http.MethodGet, path+"/export", nil)
	require.Equal(t, http.StatusOK, status, string(body))
	require.Contains(t, h.Get("Content-Disposition"), "draw-")
	var rec expertpool.DrawRecord
	require.NoError(t, jsonUnmarshal(body, &rec))
	require.Equal(t, seed.Seed, rec.Seed.String())
	require.True(t, expertpool.VerifyRecord(rec).OK)
}

func TestVerifyBeforeSeedRevealIsSealed(t *testing.T) {
	e := newEnv(t)
	admin, drawID, _ := drawn(t, e)
	path := "/api/draws/" + itoa(drawID)
	admin.fail(http.MethodGet, path+"/verify", nil, http.StatusForbidden, "sealed")
	admin.fail(http.MethodGet, path+"/export", nil, http.StatusForbidden, "sealed")
	admin.fail(http.MethodGet, "/api/draws/999999/verify", nil, http.StatusNotFound, "not_found")
}
