package expertpool

import (
	"strings"
	"time"
)

// parseImportRow turns one CSV record into an ExpertInput and reports
// every problem of the row with its column.
func parseImportRow(rec []string, index map[string]int, line int, today time.Time, specs map[string]bool) (importRow, []ImportError) {
	cell := func(col string) string {
		if i := index[col]; i > 0 {
			return strings.TrimSpace(rec[i-1])
		}
		return ""
	}
	var fe fieldErrors
	in := ExpertInput{
		Name:         cell(colName),
		IDNumber:     cell(colIDNumber),
		Mobile:       cell(colMobile),
		Region:       cell(colRegion),
		Specialties:  splitCell(cell(colSpecialties), ";；,，、 "),
		EmployerCode: cell(colEmployer),
	}
	for _, item := range splitCell(cell(colFormer), ";；") {
		parts := splitCell(item, ":：")
		if len(parts) != 2 {
			fe.add(colFormer, "%q 应写成“单位代码:离职日期”", item)
			continue
		}
		end, ok := parseDay(parts[1])
		if !ok {
			fe.add(colFormer, "离职日期 %q 无效，应写成 2024-03-31", parts[1])
			continue
		}
		in.FormerEmployers = append(in.FormerEmployers, Employment{OrgCode: parts[0], EndedOn: end})
	}
	for _, item := range splitCell(cell(colConsultancies), ";；") {
		parts := splitCell(item, ":：")
		if len(parts) < 2 || len(parts) > 3 {
			fe.add(colConsultancies, "%q 应写成“单位代码:开始日期”或“单位代码:开始日期:结束日期”", item)
			continue
		}
		c := Consultancy{OrgCode: parts[0]}
		var ok bool
		if c.StartedOn, ok = parseDay(parts[1]); !ok {
			fe.add(colConsultancies, "开始日期 %q 无效，应写成 2024-03-31", parts[1])
			continue
		}
		if len(parts) == 3 {
			if c.EndedOn, ok = parseDay(parts[2]); !ok {
				fe.add(colConsultancies, "结束日期 %q 无效，应写成 2024-03-31", parts[2])
				continue
			}
		}
		in.Consultancies = append(in.Consultancies, c)
	}
	for _, item := range splitCell(cell(colRelatives), ";；") {
		rel, ok := parseRelative(item)
		if !ok {
			fe.add(colRelatives, "%q 应为身份证号或单位代码，可加前缀“专家:”或“单位:”，可在括号中注明关系", item)
			continue
		}
		in.Relatives = append(in.Relatives, rel)
	}
	switch st := cell(colStatus); st {
	case "", "在库", "正常":
		in.Status.Status = StatusActive
	case "暂停":
		in.Status.Status = StatusSuspended
	case "禁入", "黑名单":
		in.Status.Status = StatusBlacklisted
	default:
		fe.add(colStatus, "%q 无效，应为在库、暂停或禁入", st)
		in.Status.Status = StatusActive
	}
	if u := cell(colSuspendedUntil); u != "" {
		d, ok := parseDay(u)
		if !ok {
			fe.add(colSuspendedUntil, "日期 %q 无效，应写成 2024-03-31", u)
		} else if in.Status.Status == StatusSuspended {
			in.Status.SuspendedUntil = d
		}
	}
	in.Status.Reason = cell(colReason)
	for _, item := range splitCell(cell(colUnavailable), ";；,，、 ") {
		d, ok := parseDay(item)
		if !ok {
			fe.add(colUnavailable, "日期 %q 无效，应写成 2024-03-31", item)
			continue
		}
		in.Unavailable = append(in.Unavailable, d)
	}
	fe = append(fe, normalizeExpert(&in, today, specs)...)
	errs := make([]ImportError, len(fe))
	for i, e := range fe {
		errs[i] = ImportError{Line: line, Column: e.Field, Message: e.Msg}
	}
	return importRow{line: line, in: in}, errs
}

// splitCell splits s at any of the separator runes and drops empty,
// trimmed parts.
func splitCell(s, seps string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// dayLayouts are the date spellings an import accepts; spreadsheets write
// several.
var dayLayouts = []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006.1.2", "20060102", "2006年1月2日"}

// parseDay reads a calendar date.
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dayLayouts {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1900 && t.Year() <= 9999 {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseRelative reads "[专家:|单位:]号码[(关系)]". Without a prefix, an
// value of 17 digits and a digit or X is an expert, anything else an
// organisation.
func parseRelative(item string) (RelativeInput, bool) {
	var rel RelativeInput
	for _, open := range []string{"(", "（"} {
		if i := strings.Index(item, open); i >= 0 {
			rest := strings.TrimRight(item[i+len(open):], " )）")
			rel.Relation = strings.TrimSpace(rest)
			item = strings.TrimSpace(item[:i])
			break
		}
	}
	kind := ""
	for _, p := range []string{"专家:", "专家：", "单位:", "单位："} {
		if strings.HasPrefix(item, p) {
			kind, item = strings.TrimSuffix(strings.TrimSuffix(p, ":"), "："), strings.TrimSpace(strings.TrimPrefix(item, p))
			break
		}
	}
	if item == "" {
		return rel, false
	}
	switch kind {
	case "专家":
		rel.IDNumber = item
	case "单位":
		rel.OrgCode = item
	default:
		if looksLikeIDNumber(item) {
			rel.IDNumber = item
		} else {
			rel.OrgCode = item
		}
	}
	return rel, true
}

// looksLikeIDNumber reports whether s has the shape of an identity
// number: 17 digits and a digit or X. Its check character is not looked
// at, so a mistyped number is reported as one.
func looksLikeIDNumber(s string) bool {
	s = strings.ToUpper(s)
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 18; i++ {
		if (s[i] < '0' || s[i] > '9') && !(i == 17 && s[i] == 'X') {
			return false
		}
	}
	return true
}
