package web

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/errtext"
)

// drawFieldRules name the request field a Chinese draw error is about, by
// the message expertpool's normalizeDrawRequest writes. A message no rule
// knows stays a form-level error.
var drawFieldRules = []struct {
	re    *regexp.Regexp
	field func(m []string, req expertpool.DrawRequest) string
}{
	{regexp.MustCompile(`^项目`), fixed("project_id")},
	{regexp.MustCompile(`^评标场次编号`), fixed("session_ref")},
	{regexp.MustCompile(`^评标开始时间`), fixed("starts_at")},
	{regexp.MustCompile(`^评标结束时间`), fixed("ends_at")},
	{regexp.MustCompile(`^签到开始时间`), fixed("signin_opens_at")},
	{regexp.MustCompile(`^答复时限`), fixed("answer_minutes")},
	{regexp.MustCompile(`^招标人代表`), fixed("tenderer_reps")},
	{regexp.MustCompile(`^至少需要一个评标场地|^必须有且仅有一个主场`), fixed("venues")},
	{regexp.MustCompile(`^抽取名额不能为空|^评标委员会组成`), fixed("quotas")},
	{regexp.MustCompile(`^第(\d+)个场地的代码`), indexed("venues", "code")},
	{regexp.MustCompile(`^场地代码 (\S+) 重复`), lastVenue("code")},
	{regexp.MustCompile(`^场地 (\S+) 的名称`), firstVenue("name")},
	{regexp.MustCompile(`^场地 (\S+) 的行政区划代码`), firstVenue("region")},
	{regexp.MustCompile(`^第(\d+)个名额的场地`), indexed("quotas", "venue_code")},
	{regexp.MustCompile(`^第(\d+)个名额的专业`), indexed("quotas", "specialty_code")},
	{regexp.MustCompile(`^第(\d+)个名额的地区`), indexed("quotas", "region_prefix")},
	{regexp.MustCompile(`^第(\d+)个名额的人数`), indexed("quotas", "count")},
	{regexp.MustCompile(`^第(\d+)个名额的备选`), indexed("quotas", "reserves")},
}

func fixed(name string) func([]string, expertpool.DrawRequest) string {
	return func([]string, expertpool.DrawRequest) string { return name }
}

// indexed names field of the n-th (1-based in the message) list item as
// "list.i.field", 0-based.
func indexed(list, field string) func([]string, expertpool.DrawRequest) string {
	return func(m []string, _ expertpool.DrawRequest) string {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return list
		}
		return list + "." + strconv.Itoa(n-1) + "." + field
	}
}

// firstVenue names field of the first venue whose code the message
// names; lastVenue of the last one (a duplicate).
func firstVenue(field string) func([]string, expertpool.DrawRequest) string {
	return venueField(field, false)
}

func lastVenue(field string) func([]string, expertpool.DrawRequest) string {
	return venueField(field, true)
}

func venueField(field string, last bool) func([]string, expertpool.DrawRequest) string {
	return func(m []string, req expertpool.DrawRequest) string {
		at := -1
		for i, v := range req.Venues {
			if strings.TrimSpace(v.Code) == m[1] {
				at = i
				if !last {
					break
				}
			}
		}
		if at < 0 {
			return "venues"
		}
		return "venues." + strconv.Itoa(at) + "." + field
	}
}

// drawRequestError marks an invalid draw request's error with the field
// it is about, so that the draw page shows it beside that field.
func drawRequestError(err error, req expertpool.DrawRequest) error {
	if !errors.Is(err, expertpool.ErrInvalid) || errtext.FieldOf(err) != "" {
		return err
	}
	msg := errtext.After(err, expertpool.ErrInvalid)
	for _, r := range drawFieldRules {
		if m := r.re.FindStringSubmatch(msg); m != nil {
			return errtext.Field(err, r.field(m, req))
		}
	}
	return err
}
