package expertpool

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/evalroom/evalroom/expertpool/draw"
)

// Venue is one room of a remote cross-region evaluation: the main venue
// (主场) or a remote venue (副场).
type Venue struct {
	// Code names the venue within the draw (for example "main", "v2").
	Code    string `json:"code"`
	Name    string `json:"name"`
	Address string `json:"address"`
	// Region is the venue's 6-digit administrative division code.
	Region string `json:"region"`
	Main   bool   `json:"main"`
}

// Quota asks for Count experts of a specialty (and its subcategories)
// from a region for a venue, plus optional reserves.
type Quota struct {
	VenueCode     string `json:"venue_code"`
	SpecialtyCode string `json:"specialty_code"`
	// RegionPrefix is 2 (province), 4 (city) or 6 (county) digits of the
	// experts' region code; empty means anywhere.
	RegionPrefix string `json:"region_prefix"`
	Count        int    `json:"count"`
	// Reserves are drawn with the quota but neither notified nor booked;
	// a replacement promotes the first remaining reserve.
	Reserves int `json:"reserves"`
}

// DrawRequest asks for the committee of one evaluation session.
type DrawRequest struct {
	ProjectID int64 `json:"project_id"`
	// SessionRef names the evaluation session (for the room feature).
	SessionRef string    `json:"session_ref"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	// SigninOpensAt is when names are revealed to venue staff; zero
	// means 30 minutes before StartsAt.
	SigninOpensAt time.Time `json:"signin_opens_at"`
	// AnswerMinutes is how long a drawn expert has to answer; zero means
	// 30.
	AnswerMinutes int     `json:"answer_minutes"`
	Venues        []Venue `json:"venues"`
	Quotas        []Quota `json:"quotas"`
	// TendererReps is the number of tenderer representatives on the
	// committee, for the committee rules.
	TendererReps int `json:"tenderer_reps"`
}

// Defaults of a draw request.
const (
	DefaultSigninLead    = 30 * time.Minute
	DefaultAnswerMinutes = 30
)

var (
	regionCodeRE   = regexp.MustCompile(`^[0-9]{6}$`)
	regionPrefixRE = regexp.MustCompile(`^([0-9]{2}|[0-9]{4}|[0-9]{6})?$`)
)

// normalizeDrawRequest fills defaults and checks req; the error wraps
// ErrInvalid with a Chinese message naming the field. The committee must
// satisfy rules.
func (s *Service) normalizeDrawRequest(ctx context.Context, req *DrawRequest, rules Rules) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	req.SessionRef = strings.TrimSpace(req.SessionRef)
	if req.SigninOpensAt.IsZero() {
		req.SigninOpensAt = req.StartsAt.Add(-DefaultSigninLead)
	}
	if req.AnswerMinutes == 0 {
		req.AnswerMinutes = DefaultAnswerMinutes
	}
	now := s.now()
	switch {
	case req.ProjectID <= 0:
		return bad("项目不能为空")
	case req.SessionRef == "":
		return bad("评标场次编号不能为空")
	case req.StartsAt.IsZero() || !req.StartsAt.After(now):
		return bad("评标开始时间必须晚于当前时间")
	case !req.EndsAt.After(req.StartsAt):
		return bad("评标结束时间必须晚于开始时间")
	case req.SigninOpensAt.After(req.StartsAt):
		return bad("签到开始时间不能晚于评标开始时间")
	case req.AnswerMinutes < 1 || req.AnswerMinutes > 1440:
		return bad("答复时限须在1至1440分钟之间")
	case req.TendererReps < 0:
		return bad("招标人代表人数不能为负数")
	case len(req.Venues) == 0:
		return bad("至少需要一个评标场地")
	case len(req.Quotas) == 0:
		return bad("抽取名额不能为空")
	}
	venues := map[string]bool{}
	mains := 0
	for i := range req.Venues {
		v := &req.Venues[i]
		v.Code, v.Name, v.Address, v.Region = strings.TrimSpace(v.Code), strings.TrimSpace(v.Name), strings.TrimSpace(v.Address), strings.TrimSpace(v.Region)
		switch {
		case v.Code == "":
			return bad("第%d个场地的代码不能为空", i+1)
		case venues[v.Code]:
			return bad("场地代码 %s 重复", v.Code)
		case v.Name == "":
			return bad("场地 %s 的名称不能为空", v.Code)
		case !regionCodeRE.MatchString(v.Region):
			return bad("场地 %s 的行政区划代码须为6位数字", v.Code)
		}
		venues[v.Code] = true
		if v.Main {
			mains++
		}
	}
	if mains != 1 {
		return bad("必须有且仅有一个主场")
	}
	known, err := s.specialtyCodes(ctx)
	if err != nil {
		return err
	}
	experts := 0
	for i := range req.Quotas {
		q := &req.Quotas[i]
		q.VenueCode, q.RegionPrefix = strings.TrimSpace(q.VenueCode), strings.TrimSpace(q.RegionPrefix)
		q.SpecialtyCode = strings.ToUpper(strings.TrimSpace(q.SpecialtyCode))
		switch {
		case !venues[q.VenueCode]:
			return bad("第%d个名额的场地 %s 不存在", i+1, q.VenueCode)
		case !known[q.SpecialtyCode]:
			return bad("第%d个名额的专业代码 %s 不存在", i+1, q.SpecialtyCode)
		case !regionPrefixRE.MatchString(q.RegionPrefix):
			return bad("第%d个名额的地区范围须为2、4或6位行政区划代码", i+1)
		case q.Count <= 0:
			return bad("第%d个名额的人数必须大于0", i+1)
		case q.Reserves < 0:
			return bad("第%d个名额的备选人数不能为负数", i+1)
		}
		experts += q.Count
	}
	if err := rules.CheckCommittee(experts, req.TendererReps); err != nil {
		r := rules
		odd := ""
		if r.OddSize {
			odd = "单数、"
		}
		return bad("评标委员会组成不符合规则：专家%d人、招标人代表%d人；委员会须为%s不少于%d人，专家不少于%d/%d",
			experts, req.TendererReps, odd, r.MinCommittee, r.ExpertShareNum, r.ExpertShareDen)
	}
	return nil
}

// specialtyCodes returns every specialty code.
func (s *Service) specialtyCodes(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, `SELECT code FROM expertpool.specialties`)
	if err != nil {
		return nil, fmt.Errorf("specialties: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("specialties: %w", err)
		}
		out[c] = true
	}
	return out, rows.Err()
}

// QuotaResult is what a draw did for one quota.
type QuotaResult struct {
	QuotaID       int64  `json:"quota_id"`
	VenueCode     string `json:"venue_code"`
	SpecialtyCode string `json:"specialty_code"`
	RegionPrefix  string `json:"region_prefix"`
	Count         int    `json:"count"`
	Reserves      int    `json:"reserves"`
	// Candidates is how many experts were eligible; ListHash commits to
	// their sorted list (draw.ListHash).
	Candidates int      `json:"candidates"`
	ListHash   draw.Hex `json:"list_hash"`
	// Drawn is how many were drawn (members and reserves).
	Drawn int `json:"drawn"`
}

// DrawResult is the outcome of CreateDraw. It names no expert: the
// committee is sealed.
type DrawResult struct {
	DrawID int64  `json:"draw_id"`
	State  string `json:"state"`
	// Commitment is SHA-256 of the draw's secret seed, recorded in the
	// audit log before the choice.
	Commitment draw.Hex      `json:"commitment"`
	Quotas     []QuotaResult `json:"quotas"`
	// Notified counts the members invited; ReservesDrawn the reserves.
	Notified      int `json:"notified"`
	ReservesDrawn int `json:"reserves_drawn"`
	// AbortedDrawIDs are earlier attempts of this request abandoned
	// because a chosen expert was booked by a concurrent draw meanwhile
	// (each is recorded, with its commitment, in the audit log).
	AbortedDrawIDs []int64 `json:"aborted_draw_ids,omitempty"`
}
