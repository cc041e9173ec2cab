package expertpool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// MaxImportBytes is the largest CSV file ImportExperts reads.
const MaxImportBytes = 64 << 20

// ImportError is one problem found in an import file.
type ImportError struct {
	// Line is the physical line of the file where the row starts, as a
	// text editor or spreadsheet counts it: the header is line 1, the
	// first data row line 2. Zero for a problem with the whole file.
	Line int `json:"line"`
	// Column is the Chinese header of the column at fault; empty for a
	// problem with the whole row or file.
	Column string `json:"column,omitempty"`
	// Message says what is wrong, in Chinese.
	Message string `json:"message"`
}

// String formats the error for a person: "第3行 身份证号：身份证号校验位错误".
func (e ImportError) String() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "第%d行 ", e.Line)
	}
	if e.Column != "" {
		b.WriteString(e.Column + "：")
	}
	b.WriteString(e.Message)
	return b.String()
}

// ImportReport is the outcome of ImportExperts.
type ImportReport struct {
	// Rows is how many data rows the file has (blank rows not counted).
	Rows int `json:"rows"`
	// Imported is how many experts were stored: Rows or 0.
	Imported int `json:"imported"`
	// Errors lists every problem; when it is not empty nothing was stored.
	Errors []ImportError `json:"errors,omitempty"`
}

// importColumns are the columns of an import file, required ones first.
var importColumns = []struct {
	name     string
	required bool
}{
	{colName, true}, {colIDNumber, true}, {colMobile, true}, {colRegion, true}, {colSpecialties, true},
	{colEmployer, false}, {colFormer, false}, {colConsultancies, false}, {colRelatives, false},
	{colStatus, false}, {colSuspendedUntil, false}, {colReason, false}, {colUnavailable, false},
}

// importRow is one parsed data row.
type importRow struct {
	line int
	in   ExpertInput
}

// ImportExperts reads experts from a CSV file (UTF-8, optionally with a
// BOM; Chinese header row; columns documented in IMPORT.md) and stores
// them all in one transaction, or none. Every row is validated first,
// against the file itself (duplicate identity numbers, relatives) and the
// pool; if anything is wrong the report lists every problem with its line
// and column and the error wraps ErrInvalid. One audit entry records the
// import with counts only.
func (s *Service) ImportExperts(ctx context.Context, actor string, r io.Reader) (ImportReport, error) {
	if err := checkActor(actor); err != nil {
		return ImportReport{}, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return ImportReport{}, fmt.Errorf("import experts: read: %w", err)
	}
	var rep ImportReport
	fail := func(e ...ImportError) (ImportReport, error) {
		rep.Errors = append(rep.Errors, e...)
		return rep, fmt.Errorf("%w: 导入文件有%d处错误，未导入任何专家", ErrInvalid, len(rep.Errors))
	}
	if len(data) > MaxImportBytes {
		return fail(ImportError{Message: fmt.Sprintf("文件超过%d MB，请分批导入", MaxImportBytes>>20)})
	}
	if msg := encodingProblem(data); msg != "" {
		return fail(ImportError{Message: msg})
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))

	rows, errs := s.parseImport(ctx, data, todayOf(s.now()))
	rep.Rows = len(rows)
	if len(rows) == 0 {
		return fail(errs...)
	}
	recs, poolErrs, err := s.checkImportAgainstPool(ctx, s.newIDIndexer(), rows)
	if err != nil {
		return ImportReport{Rows: rep.Rows}, fmt.Errorf("import experts: %w", err)
	}
	if errs = append(errs, poolErrs...); len(errs) > 0 {
		sortImportErrors(errs)
		return fail(errs...)
	}
	if err := s.storeImport(ctx, actor, recs, data); err != nil {
		if errors.Is(err, ErrConflict) {
			return fail(ImportError{Message: "导入期间有相同身份证号的专家被录入，请重新导入"})
		}
		return ImportReport{Rows: rep.Rows}, fmt.Errorf("import experts: %w", err)
	}
	rep.Imported = len(recs)
	s.log.InfoContext(ctx, "experts imported", "actor", actor, "rows", rep.Imported)
	return rep, nil
}

// encodingProblem explains why data is not UTF-8 text, or returns "".
func encodingProblem(data []byte) string {
	const hint = "请在 Excel 中选择“另存为 → CSV UTF-8（逗号分隔）”，或用文本编辑器另存为 UTF-8 后重新导入"
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return "文件不是 UTF-8 编码（看起来是 UTF-16）。" + hint
	}
	if utf8.Valid(data) {
		return ""
	}
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return fmt.Sprintf("文件不是 UTF-8 编码（第%d行起有非 UTF-8 字节，可能是 GBK/GB18030 编码）。%s", line, hint)
}

// parseImport reads the header and every row, and validates each row on
// its own and against the other rows of the file.
func (s *Service) parseImport(ctx context.Context, data []byte, today time.Time) ([]importRow, []ImportError) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, []ImportError{{Message: "文件为空，第1行应为表头"}}
	}
	if err != nil {
		return nil, []ImportError{csvError(err)}
	}
	index, errs := importHeader(header)
	if len(errs) > 0 {
		return nil, errs
	}
	specs, err := specialtySet(ctx, s.db)
	if err != nil {
		return nil, []ImportError{{Message: "无法读取专业目录，请稍后重试"}}
	}
	var rows []importRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, csvError(err))
			continue
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		if len(rec) != len(header) {
			errs = append(errs, ImportError{Line: line, Message: fmt.Sprintf("该行有%d列，表头有%d列", len(rec), len(header))})
			rows = append(rows, importRow{line: line})
			continue
		}
		row, rowErrs := parseImportRow(rec, index, line, today, specs)
		errs = append(errs, rowErrs...)
		rows = append(rows, row)
	}
	if len(rows) == 0 && len(errs) == 0 {
		errs = append(errs, ImportError{Message: "文件只有表头，没有数据行"})
	}
	errs = append(errs, duplicatesInFile(rows)...)
	return rows, errs
}

func csvError(err error) ImportError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := "CSV 格式错误"
		switch {
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			msg = "CSV 格式错误：引号不配对，含逗号或引号的内容须整体用英文双引号括起，内容中的双引号写成两个"
		}
		return ImportError{Line: pe.StartLine, Message: msg}
	}
	return ImportError{Message: "无法读取文件"}
}

// importHeader maps each known column to its position, and reports
// unknown, repeated and missing columns.
func importHeader(header []string) (map[string]int, []ImportError) {
	known := make(map[string]bool, len(importColumns))
	for _, c := range importColumns {
		known[c.name] = true
	}
	index := make(map[string]int, len(header))
	seen := make(map[string]bool, len(header))
	var errs []ImportError
	for i, h := range header {
		h = strings.TrimSuffix(strings.TrimSpace(h), "*")
		switch {
		case h == "":
			errs = append(errs, ImportError{Line: 1, Message: fmt.Sprintf("第%d列的表头为空", i+1)})
		case !known[h]:
			errs = append(errs, ImportError{Line: 1, Column: h, Message: "未知的列（列名须与导入说明一致）"})
		case seen[h]:
			errs = append(errs, ImportError{Line: 1, Column: h, Message: "列重复"})
		default:
			index[h] = i + 1 // 1-based so that 0 means absent
		}
		seen[h] = true
	}
	for _, c := range importColumns {
		if c.required && index[c.name] == 0 {
			errs = append(errs, ImportError{Line: 1, Column: c.name, Message: "缺少必填列"})
		}
	}
	return index, errs
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// duplicatesInFile reports identity numbers that appear on several rows.
func duplicatesInFile(rows []importRow) []ImportError {
	var errs []ImportError
	first := make(map[string]int, len(rows))
	for _, r := range rows {
		id := r.in.IDNumber
		if id == "" || idcard.Validate(id) != nil {
			continue
		}
		if line, ok := first[id]; ok {
			errs = append(errs, ImportError{Line: r.line, Column: colIDNumber, Message: fmt.Sprintf("与第%d行的身份证号重复", line)})
			continue
		}
		first[id] = r.line
	}
	return errs
}

// checkImportAgainstPool looks every identity number of the file up in the
// pool: a row already there is a conflict, and a relative must be in the
// file or the pool. It returns the records to store.
func (s *Service) checkImportAgainstPool(ctx context.Context, x *idIndexer, rows []importRow) ([]expertRecord, []ImportError, error) {
	inFile := make(map[string]bool, len(rows))
	var lookup [][]byte
	indexOf := make(map[string][]byte)
	want := func(id string) {
		if _, ok := indexOf[id]; !ok {
			idx := x.index(id)
			indexOf[id] = idx
			lookup = append(lookup, idx)
		}
	}
	for _, r := range rows {
		if idcard.Validate(r.in.IDNumber) != nil {
			continue
		}
		inFile[r.in.IDNumber] = true
		want(r.in.IDNumber)
	}
	for _, r := range rows {
		for _, rel := range r.in.Relatives {
			if rel.IDNumber != "" && idcard.Validate(rel.IDNumber) == nil {
				want(rel.IDNumber)
			}
		}
	}
	known, err := expertIDsByIndex(ctx, s.db, lookup)
	if err != nil {
		return nil, nil, err
	}
	var errs []ImportError
	recs := make([]expertRecord, 0, len(rows))
	for _, r := range rows {
		if !inFile[r.in.IDNumber] {
			continue // invalid number, already reported
		}
		if _, dup := known[string(indexOf[r.in.IDNumber])]; dup {
			errs = append(errs, ImportError{Line: r.line, Column: colIDNumber, Message: fmt.Sprintf("身份证号 %s 已在专家库中", idcard.Mask(r.in.IDNumber))})
		}
		for _, rel := range r.in.Relatives {
			if rel.IDNumber == "" || inFile[rel.IDNumber] || indexOf[rel.IDNumber] == nil {
				continue
			}
			if _, ok := known[string(indexOf[rel.IDNumber])]; !ok {
				errs = append(errs, ImportError{Line: r.line, Column: colRelatives,
					Message: fmt.Sprintf("亲属身份证号 %s 既不在本文件中，也不在专家库中", idcard.Mask(rel.IDNumber))})
			}
		}
		rec := expertRecord{in: r.in, index: indexOf[r.in.IDNumber]}
		recs = append(recs, rec)
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	// Relatives in the pool are resolved now; those in the file once the
	// file's rows have ids.
	for i := range recs {
		for _, rel := range recs[i].in.Relatives {
			switch {
			case rel.OrgCode != "":
				recs[i].relatives = append(recs[i].relatives, Relative{OrgCode: rel.OrgCode, Relation: rel.Relation})
			case !inFile[rel.IDNumber]:
				recs[i].relatives = append(recs[i].relatives, Relative{ExpertID: known[string(indexOf[rel.IDNumber])], Relation: rel.Relation})
			}
		}
	}
	return recs, nil, nil
}

// storeImport seals the identity numbers, gives every record an id,
// resolves relatives within the file and copies everything in one
// transaction with one audit entry.
func (s *Service) storeImport(ctx context.Context, actor string, recs []expertRecord, data []byte) error {
	for i := range recs {
		recs[i].sealed = s.keys.Seal([]byte(recs[i].in.IDNumber), []byte(IDNumberAAD))
	}
	sum := sha256.Sum256(data)
	now := s.now().UTC()
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		ids, err := reserveExpertIDs(ctx, tx, len(recs))
		if err != nil {
			return err
		}
		relatives, first, last := 0, ids[0], ids[0]
		byNumber := make(map[string]int64, len(recs))
		for i := range recs {
			recs[i].id = ids[i]
			first, last = min(first, ids[i]), max(last, ids[i])
			byNumber[recs[i].in.IDNumber] = ids[i]
		}
		for i := range recs {
			for _, rel := range recs[i].in.Relatives {
				if id, ok := byNumber[rel.IDNumber]; ok && rel.IDNumber != "" {
					recs[i].relatives = append(recs[i].relatives, Relative{ExpertID: id, Relation: rel.Relation})
				}
			}
			recs[i].relatives = uniqueOf(recs[i].relatives)
			relatives += len(recs[i].relatives)
		}
		if err := copyExperts(ctx, tx, recs, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "expert.import", Object: "expert-import:" + hex.EncodeToString(sum[:8]),
			Detail: map[string]any{"experts": len(recs), "relatives": relatives, "first_id": first, "last_id": last,
				"file_sha256": hex.EncodeToString(sum[:]), "file_bytes": len(data)}})
		return err
	})
}

// sortImportErrors orders errors by line, then by the column's place in
// importColumns, keeping the order of errors of one cell.
func sortImportErrors(errs []ImportError) {
	rank := make(map[string]int, len(importColumns))
	for i, c := range importColumns {
		rank[c.name] = i + 1
	}
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return rank[errs[i].Column] < rank[errs[j].Column]
	})
}
