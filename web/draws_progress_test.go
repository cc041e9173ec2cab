package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

// TestDrawListProgressAndFieldErrors: the draw page's list and progress
// name no expert, and a bad draw request's error names its field.
func TestDrawListProgressAndFieldErrors(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.login(t, "root", auth.RoleAdmin)
	staff, _ := e.login(t, "staff", auth.RoleStaff)
	supervisor, _ := e.login(t, "jiandu", auth.RoleSupervisor)
	evaluator, _ := e.login(t, "pw", auth.RoleEvaluator)
	req := drawSetup(t, e, admin, 7)

	with := func(key string, value any) map[string]any {
		out := map[string]any{}
		for k, v := range req {
			out[k] = v
		}
		out[key] = value
		return out
	}
	for _, tc := range []struct {
		name, field string
		req         map[string]any
	}{
		{"no session ref", "session_ref", with("session_ref", " ")},
		{"in the past", "starts_at", with("starts_at", e.clock.Now().Add(-time.Hour))},
		{"bad region of the second venue", "venues.1.region", with("venues", []map[string]any{
			{"code": "V1", "name": "南京主场", "region": "320102", "main": true},
			{"code": "V2", "name": "合肥副场", "region": "34"},
		})},
		{"second quota without experts", "quotas.1.count", with("quotas", []map[string]any{
			{"venue_code": "V1", "specialty_code": "A0101", "count": 4},
			{"venue_code": "V2", "specialty_code": "A0101", "count": 0},
		})},
		{"even committee", "quotas", with("quotas", []map[string]any{
			{"venue_code": "V1", "specialty_code": "A0101", "count": 4},
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				Error struct{ Code, Message, Field string } `json:"error"`
			}
			staff.call(http.MethodPost, "/api/draws", tc.req, http.StatusUnprocessableEntity, &got)
			require.Equal(t, "invalid", got.Error.Code)
			require.Equal(t, tc.field, got.Error.Field, got.Error.Message)
		})
	}
	var list struct {
		Items []expertpool.DrawSummary `json:"items"`
	}
	staff.call(http.MethodGet, "/api/draws", nil, http.StatusOK, &list)
	require.Empty(t, list.Items, "nothing was drawn")

	var res expertpool.DrawResult
	staff.call(http.MethodPost, "/api/draws", req, http.StatusCreated, &res)
	for _, c := range []*client{staff, supervisor, admin} {
		body := c.call(http.MethodGet, "/api/draws", nil, http.StatusOK, &list)
		require.Len(t, list.Items, 1)
		require.Equal(t, res.DrawID, list.Items[0].DrawID)
		require.True(t, list.Items[0].Sealed)
		require.Equal(t, "NJ-DRAW-1", list.Items[0].ProjectCode)
		require.NotContains(t, string(body), "专家")
	}
	evaluator.fail(http.MethodGet, "/api/draws", nil, http.StatusForbidden, "forbidden")

	var st struct {
		Sealed   bool                     `json:"sealed"`
		Progress *expertpool.DrawProgress `json:"progress"`
	}
	body := supervisor.call(http.MethodGet, "/api/draws/"+itoa(res.DrawID), nil, http.StatusOK, &st)
	require.True(t, st.Sealed)
	require.NotNil(t, st.Progress)
	require.Len(t, st.Progress.Quotas, 2)
	require.Equal(t, expertpool.QuotaProgress{Needed: 5, Invited: 5, Sending: 5, Waiting: 5}, st.Progress.Total)
	require.NotContains(t, string(body), "专家", "the progress names no expert")
}
