package expertpool

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/internal/errtext"
)

// Field names of expert input, in Chinese, shared by validation messages
// and the CSV header.
const (
	colName           = "姓名"
	colIDNumber       = "身份证号"
	colMobile         = "手机号"
	colRegion         = "地区代码"
	colSpecialties    = "专业代码"
	colEmployer       = "工作单位代码"
	colFormer         = "曾任职单位"
	colConsultancies  = "咨询关系"
	colRelatives      = "亲属"
	colStatus         = "状态"
	colSuspendedUntil = "暂停至"
	colReason         = "禁入原因"
	colUnavailable    = "不可用日期"
)

var (
	mobileRE  = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	orgCodeRE = regexp.MustCompile(`^[0-9A-Z]{18}$`)
)

// fieldError is one problem with one field of an input.
type fieldError struct{ Field, Msg string }

// fieldErrors collects the problems of one input.
type fieldErrors []fieldError

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, fieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// expertJSONFields are the JSON names of ExpertInput's fields, by their
// Chinese names, so that a form shows a problem beside its field.
var expertJSONFields = map[string]string{
	colName: "name", colIDNumber: "id_number", colMobile: "mobile", colRegion: "region",
	colSpecialties: "specialties", colEmployer: "employer_code", colFormer: "former_employers",
	colConsultancies: "consultancies", colRelatives: "relatives", colStatus: "status",
	colSuspendedUntil: "status", colReason: "status", colUnavailable: "unavailable",
}

// err joins the problems into one ErrInvalid error, or nil. The error
// names (errtext.Field) the JSON field of the first problem when it is an
// expert's.
func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + "：" + e.Msg
	}
	err := fmt.Errorf("%w: %s", ErrInvalid, strings.Join(parts, "；"))
	if f := expertJSONFields[fe[0].Field]; f != "" {
		return errtext.Field(err, f)
	}
	return err
}

// calendarDay returns the date of t in t's own location as UTC midnight.
func calendarDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// poolZone is China Standard Time, in which "today" is judged.
var poolZone = time.FixedZone("CST", 8*60*60)

// todayOf returns the calendar date of now in China Standard Time.
func todayOf(now time.Time) time.Time { return calendarDay(now.In(poolZone)) }

// normalizeOrgCode trims and upper-cases an organisation code.
func normalizeOrgCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// validOrgCode reports whether code is 18 characters of [0-9A-Z].
func validOrgCode(code string) bool { return orgCodeRE.MatchString(code) }

// validName checks a person's or organisation's name.
func validName(fe *fieldErrors, field, name string, max int) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		fe.add(field, "不能为空")
	case n > max:
		fe.add(field, "不能超过%d个字", max)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		fe.add(field, "含有控制字符")
	}
}

// normalizeExpert trims and canonicalises in, and reports every field
// that breaks a rule. Relatives are checked for form only; whether a
// relative's identity number is known is the caller's business.
func normalizeExpert(in *ExpertInput, today time.Time, specialties map[string]bool) fieldErrors {
	var fe fieldErrors
	in.Name = strings.TrimSpace(in.Name)
	validName(&fe, colName, in.Name, 50)

	in.IDNumber = idcard.Normalize(in.IDNumber)
	if err := idcard.ValidateAt(in.IDNumber, today); err != nil {
		fe.add(colIDNumber, "%s", idErrorText(in.IDNumber, err))
	}
	in.Mobile = strings.TrimSpace(in.Mobile)
	if !mobileRE.MatchString(in.Mobile) {
		fe.add(colMobile, "应为11位手机号码（1开头，第二位3-9）")
	}
	in.Region = strings.TrimSpace(in.Region)
	if !idcard.ValidRegion(in.Region) {
		fe.add(colRegion, "应为6位行政区划代码")
	}

	in.Specialties = normalizeCodes(in.Specialties)
	if len(in.Specialties) == 0 {
		fe.add(colSpecialties, "至少填写一个专业代码")
	}
	for _, c := range in.Specialties {
		if !specialties[c] {
			fe.add(colSpecialties, "专业代码 %s 不存在", c)
		}
	}

	in.EmployerCode = normalizeOrgCode(in.EmployerCode)
	if in.EmployerCode != "" && !validOrgCode(in.EmployerCode) {
		fe.add(colEmployer, "单位代码应为18位数字或大写字母")
	}
	for i := range in.FormerEmployers {
		e := &in.FormerEmployers[i]
		e.OrgCode = normalizeOrgCode(e.OrgCode)
		if !validOrgCode(e.OrgCode) {
			fe.add(colFormer, "单位代码 %q 应为18位数字或大写字母", e.OrgCode)
		}
		if e.EndedOn.IsZero() {
			fe.add(colFormer, "单位 %s 缺少离职日期", e.OrgCode)
			continue
		}
		e.EndedOn = calendarDay(e.EndedOn)
		if e.EndedOn.After(today) {
			fe.add(colFormer, "单位 %s 的离职日期 %s 晚于今天", e.OrgCode, e.EndedOn.Format(time.DateOnly))
		}
	}
	in.FormerEmployers = uniqueOf(in.FormerEmployers)
	for i := range in.Consultancies {
		c := &in.Consultancies[i]
		c.OrgCode = normalizeOrgCode(c.OrgCode)
		if !validOrgCode(c.OrgCode) {
			fe.add(colConsultancies, "单位代码 %q 应为18位数字或大写字母", c.OrgCode)
		}
		if c.StartedOn.IsZero() {
			fe.add(colConsultancies, "单位 %s 缺少开始日期", c.OrgCode)
			continue
		}
		c.StartedOn = calendarDay(c.StartedOn)
		if !c.EndedOn.IsZero() {
			c.EndedOn = calendarDay(c.EndedOn)
			if c.EndedOn.Before(c.StartedOn) {
				fe.add(colConsultancies, "单位 %s 的结束日期早于开始日期", c.OrgCode)
			}
		}
	}
	in.Consultancies = dedupeConsultancies(in.Consultancies)

	for i := range in.Relatives {
		r := &in.Relatives[i]
		r.IDNumber, r.OrgCode, r.Relation = idcard.Normalize(r.IDNumber), normalizeOrgCode(r.OrgCode), strings.TrimSpace(r.Relation)
		switch {
		case (r.IDNumber == "") == (r.OrgCode == ""):
			fe.add(colRelatives, "每位亲属须填写身份证号或单位代码之一")
		case r.IDNumber != "":
			if err := idcard.Validate(r.IDNumber); err != nil {
				fe.add(colRelatives, "亲属%s", idErrorText(r.IDNumber, err))
			} else if r.IDNumber == in.IDNumber {
				fe.add(colRelatives, "不能把本人登记为亲属")
			}
		case !validOrgCode(r.OrgCode):
			fe.add(colRelatives, "单位代码 %q 应为18位数字或大写字母", r.OrgCode)
		}
		if utf8.RuneCountInString(r.Relation) > 20 {
			fe.add(colRelatives, "亲属关系不能超过20个字")
		}
	}
	in.Relatives = uniqueOf(in.Relatives)

	if in.Status.Status == "" {
		in.Status.Status = StatusActive
	}
	normalizeStatus(&fe, &in.Status, today)

	for i, d := range in.Unavailable {
		in.Unavailable[i] = calendarDay(d)
	}
	in.Unavailable = dedupeDays(in.Unavailable)
	if len(in.Unavailable) > 366 {
		fe.add(colUnavailable, "不可用日期不能超过366天")
	}
	return fe
}

// normalizeStatus checks a status change and clears the fields that do not
// belong to its status.
func normalizeStatus(fe *fieldErrors, sc *StatusChange, today time.Time) {
	sc.Reason = strings.TrimSpace(sc.Reason)
	switch sc.Status {
	case StatusActive:
		sc.SuspendedUntil, sc.Reason = time.Time{}, ""
	case StatusSuspended:
		sc.Reason = ""
		if sc.SuspendedUntil.IsZero() {
			fe.add(colSuspendedUntil, "暂停的专家必须填写暂停至日期")
			return
		}
		sc.SuspendedUntil = calendarDay(sc.SuspendedUntil)
		if sc.SuspendedUntil.Before(today) {
			fe.add(colSuspendedUntil, "暂停至日期 %s 早于今天", sc.SuspendedUntil.Format(time.DateOnly))
		}
	case StatusBlacklisted:
		sc.SuspendedUntil = time.Time{}
		switch n := utf8.RuneCountInString(sc.Reason); {
		case n == 0:
			fe.add(colReason, "禁入的专家必须填写禁入原因")
		case n > 200:
			fe.add(colReason, "禁入原因不能超过200个字")
		}
	default:
		fe.add(colStatus, "状态应为在库、暂停或禁入")
	}
}

// idErrorText explains an idcard error in Chinese, with a hint when a
// spreadsheet has turned the number into scientific notation.
func idErrorText(s string, err error) string {
	if strings.ContainsAny(s, "Ee+.") && strings.Contains(strings.ToUpper(s), "E+") {
		return "身份证号被表格软件转成了科学计数法，请把该列设为文本格式后重新导出"
	}
	return err.Error()
}

// normalizeCodes trims, upper-cases, de-duplicates and sorts codes.
func normalizeCodes(codes []string) []string {
	out := make([]string, 0, len(codes))
	seen := make(map[string]bool, len(codes))
	for _, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func uniqueOf[T comparable](xs []T) []T {
	if len(xs) < 2 {
		return xs
	}
	seen := make(map[T]bool, len(xs))
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// dedupeConsultancies keeps the first of several relations with the same
// organisation and start day (the table's key).
func dedupeConsultancies(cs []Consultancy) []Consultancy {
	type key struct {
		org   string
		start time.Time
	}
	seen := make(map[key]bool, len(cs))
	out := cs[:0]
	for _, c := range cs {
		k := key{c.OrgCode, c.StartedOn}
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

// dedupeDays sorts days and drops repeats.
func dedupeDays(days []time.Time) []time.Time {
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
	out := days[:0]
	for i, d := range days {
		if i == 0 || !d.Equal(days[i-1]) {
			out = append(out, d)
		}
	}
	return out
}
