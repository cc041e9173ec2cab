package expertpool

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// Bidder is an organisation bidding for a project.
type Bidder struct {
	OrgCode string `json:"org_code"`
	Name    string `json:"name,omitempty"`
}

// ProjectInput is what it takes to register a project.
type ProjectInput struct {
	// Code is the trading centre's project number, unique.
	Code string `json:"code"`
	Name string `json:"name"`
	// TendererCode is the tenderer's (招标人) organisation code.
	TendererCode string `json:"tenderer_code"`
	// Bidders are the bidders (投标人); at least one.
	Bidders []Bidder `json:"bidders"`
	// Category is the project's specialty code.
	Category string `json:"category"`
	// Region is the 6-digit administrative division code of the project.
	Region string `json:"region"`
}

// Project is a registered project.
type Project struct {
	ID           int64     `json:"id"`
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	TendererCode string    `json:"tenderer_code"`
	Bidders      []Bidder  `json:"bidders"`
	Category     string    `json:"category"`
	Region       string    `json:"region"`
	CreatedAt    time.Time `json:"created_at"`
}

// ProjectFilter selects projects for ListProjects.
type ProjectFilter struct {
	// Query matches part of the name or of the code.
	Query string
	// Limit caps the page (default 50, at most 1000); Offset skips.
	Limit, Offset int
}

// Field names of project input.
const (
	colProjectCode = "项目编号"
	colProjectName = "项目名称"
	colTenderer    = "招标人代码"
	colBidders     = "投标人"
	colCategory    = "项目类别"
	colProjRegion  = "项目地区"
)

// normalizeProject trims p and reports every field that breaks a rule.
func normalizeProject(p *ProjectInput, specialties map[string]bool) fieldErrors {
	var fe fieldErrors
	p.Code, p.Name = strings.TrimSpace(p.Code), strings.TrimSpace(p.Name)
	switch n := utf8.RuneCountInString(p.Code); {
	case n == 0:
		fe.add(colProjectCode, "不能为空")
	case n > 64:
		fe.add(colProjectCode, "不能超过64个字符")
	case strings.IndexFunc(p.Code, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		fe.add(colProjectCode, "不能含有空白或控制字符")
	}
	validName(&fe, colProjectName, p.Name, 200)
	p.TendererCode = normalizeOrgCode(p.TendererCode)
	if !validOrgCode(p.TendererCode) {
		fe.add(colTenderer, "应为18位数字或大写字母")
	}
	if len(p.Bidders) == 0 {
		fe.add(colBidders, "至少填写一个投标人")
	}
	seen := map[string]bool{}
	for i := range p.Bidders {
		b := &p.Bidders[i]
		b.OrgCode, b.Name = normalizeOrgCode(b.OrgCode), strings.TrimSpace(b.Name)
		switch {
		case !validOrgCode(b.OrgCode):
			fe.add(colBidders, "投标人代码 %q 应为18位数字或大写字母", b.OrgCode)
		case seen[b.OrgCode]:
			fe.add(colBidders, "投标人 %s 重复", b.OrgCode)
		case b.OrgCode == p.TendererCode:
			fe.add(colBidders, "投标人 %s 不能是招标人本身", b.OrgCode)
		}
		seen[b.OrgCode] = true
		if utf8.RuneCountInString(b.Name) > 100 {
			fe.add(colBidders, "投标人名称不能超过100个字")
		}
	}
	p.Category = strings.ToUpper(strings.TrimSpace(p.Category))
	if !specialties[p.Category] {
		fe.add(colCategory, "专业代码 %q 不存在", p.Category)
	}
	p.Region = strings.TrimSpace(p.Region)
	if !idcard.ValidRegion(p.Region) {
		fe.add(colProjRegion, "应为6位行政区划代码")
	}
	return fe
}

// CreateProject registers a project with its bidders. It returns
// ErrInvalid for bad input and ErrConflict when the code is taken.
func (s *Service) CreateProject(ctx context.Context, actor string, in ProjectInput) (Project, error) {
	if err := checkActor(actor); err != nil {
		return Project{}, err
	}
	specs, err := specialtySet(ctx, s.db)
	if err != nil {
		return Project{}, err
	}
	if err := normalizeProject(&in, specs).err(); err != nil {
		return Project{}, err
	}
	var id int64
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := insertProject(ctx, tx, in, s.now().UTC(), &id); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "project.create", Object: projectObject(id),
			Detail: map[string]any{"code": in.Code, "category": in.Category, "region": in.Region, "bidders": len(in.Bidders)}})
		return err
	})
	if errors.Is(err, ErrConflict) {
		return Project{}, fmt.Errorf("%w: 项目编号 %s 已存在", ErrConflict, in.Code)
	}
	if err != nil {
		return Project{}, fmt.Errorf("create project %s: %w", in.Code, err)
	}
	return s.GetProject(ctx, id)
}

// insertProject writes a validated project and its bidders inside tx.
func insertProject(ctx context.Context, tx pgx.Tx, in ProjectInput, now time.Time, id *int64) error {
	err := tx.QueryRow(ctx, `INSERT INTO expertpool.projects (code, name, tenderer_code, category, region, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, in.Code, in.Name, in.TendererCode, in.Category, in.Region, now).Scan(id)
	if err != nil {
		return poolDBError(err)
	}
	codes, names := make([]string, len(in.Bidders)), make([]string, len(in.Bidders))
	for i, b := range in.Bidders {
		codes[i], names[i] = b.OrgCode, b.Name
	}
	if _, err := tx.Exec(ctx, `INSERT INTO expertpool.project_bidders (project_id, org_code, name)
		SELECT $1, c, n FROM unnest($2::text[], $3::text[]) AS b (c, n)`, *id, codes, names); err != nil {
		return poolDBError(err)
	}
	return nil
}

func projectObject(id int64) string { return "project:" + strconv.FormatInt(id, 10) }

const projectColumns = `id, code, name, tenderer_code, category, region, created_at`

func scanProject(row pgx.CollectableRow) (Project, error) {
	var p Project
	err := row.Scan(&p.ID, &p.Code, &p.Name, &p.TendererCode, &p.Category, &p.Region, &p.CreatedAt)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// GetProject returns a project with its bidders, or ErrNotFound.
func (s *Service) GetProject(ctx context.Context, id int64) (Project, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+projectColumns+` FROM expertpool.projects WHERE id = $1`, id)
	p, err := pgx.CollectExactlyOneRow(rows, scanProject)
	if errors.Is(err, pgx.ErrNoRows) {
		return Project{}, fmt.Errorf("project %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Project{}, fmt.Errorf("project %d: %w", id, err)
	}
	list := []Project{p}
	if err := s.loadBidders(ctx, list); err != nil {
		return Project{}, err
	}
	return list[0], nil
}

// ListProjects returns one page of projects matching f, newest first,
// with their bidders, and how many match in all.
func (s *Service) ListProjects(ctx context.Context, f ProjectFilter) ([]Project, int, error) {
	f.Limit, f.Offset = pageBounds(f.Limit, f.Offset)
	q := strings.TrimSpace(f.Query)
	const where = `WHERE ($1 = '' OR strpos(name, $1) > 0 OR strpos(code, $1) > 0)`
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM expertpool.projects `+where, q).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count projects: %w", err)
	}
	rows, _ := s.db.Query(ctx, `SELECT `+projectColumns+` FROM expertpool.projects `+where+`
		ORDER BY id DESC LIMIT $2 OFFSET $3`, q, f.Limit, f.Offset)
	list, err := pgx.CollectRows(rows, scanProject)
	if err != nil {
		return nil, 0, fmt.Errorf("list projects: %w", err)
	}
	if err := s.loadBidders(ctx, list); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// loadBidders fills the bidders of projects.
func (s *Service) loadBidders(ctx context.Context, projects []Project) error {
	if len(projects) == 0 {
		return nil
	}
	ids := make([]int64, len(projects))
	at := make(map[int64]int, len(projects))
	for i, p := range projects {
		ids[i], at[p.ID] = p.ID, i
		projects[i].Bidders = []Bidder{}
	}
	rows, err := s.db.Query(ctx, `SELECT project_id, org_code, name FROM expertpool.project_bidders
		WHERE project_id = ANY($1) ORDER BY project_id, org_code`, ids)
	if err != nil {
		return fmt.Errorf("project bidders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		var b Bidder
		if err := rows.Scan(&pid, &b.OrgCode, &b.Name); err != nil {
			return fmt.Errorf("project bidders: %w", err)
		}
		projects[at[pid]].Bidders = append(projects[at[pid]].Bidders, b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("project bidders: %w", err)
	}
	return nil
}
