package expertpool

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DemoOptions shape the made-up pool SeedDemo creates.
type DemoOptions struct {
	// Experts is how many experts to create (default 300).
	Experts int
	// Seed makes the pool deterministic: the same Seed (and options) gives
	// the same names, numbers and relations.
	Seed int64
	// Provinces are 2-digit province codes to spread experts across
	// (default 32 江苏, 34 安徽, 37 山东; 33 浙江 and 11 北京 are known too).
	Provinces []string
	// Projects is how many projects to register (default 6).
	Projects int
	// OnlyIfEmpty makes SeedDemo do nothing when the pool has experts.
	OnlyIfEmpty bool
}

// DemoReport counts what SeedDemo created.
type DemoReport struct {
	// Skipped is true when OnlyIfEmpty found experts and nothing was made.
	Skipped       bool    `json:"skipped,omitempty"`
	Organisations int     `json:"organisations"`
	Projects      int     `json:"projects"`
	ProjectIDs    []int64 `json:"project_ids"`
	Experts       int     `json:"experts"`
	// ExpertSpecialties counts expert–specialty links.
	ExpertSpecialties int `json:"expert_specialties"`
	FormerEmployments int `json:"former_employments"`
	Consultancies     int `json:"consultancies"`
	Relatives         int `json:"relatives"`
	Suspended         int `json:"suspended"`
	Blacklisted       int `json:"blacklisted"`
	UnavailableDays   int `json:"unavailable_days"`
}

// SeedDemo fills the pool with made-up data for demos and benchmarks:
// organisations (companies with parent groups, public-body tenderers, each
// with a principal) in every city of opts.Provinces, a few projects with
// bidders, and opts.Experts experts with Chinese names, valid identity
// numbers, mobile numbers and one or two specialties. Some experts have
// former employers, consultancies, relatives, suspensions, a blacklisting
// or unavailable days, and each project's bidders are tied to a few
// experts of its province, so every recusal rule has cases to act on.
//
// Everything is written in one transaction with COPY, with one audit
// entry; 100,000 experts take seconds. Demo project codes are fixed, so a
// second run on the same database returns ErrConflict unless OnlyIfEmpty
// skips it.
func (s *Service) SeedDemo(ctx context.Context, actor string, opts DemoOptions) (DemoReport, error) {
	if err := checkActor(actor); err != nil {
		return DemoReport{}, err
	}
	if opts.Experts <= 0 {
		opts.Experts = 300
	}
	if opts.Projects <= 0 {
		opts.Projects = 6
	}
	if len(opts.Provinces) == 0 {
		opts.Provinces = []string{"32", "34", "37"}
	}
	var provinces []demoProvince
	for _, code := range opts.Provinces {
		p, ok := demoProvinces[code]
		if !ok {
			return DemoReport{}, fmt.Errorf("%w: 演示数据不支持省份代码 %q（可用 32、34、37、33、11）", ErrInvalid, code)
		}
		provinces = append(provinces, p)
	}
	if opts.OnlyIfEmpty {
		var nonEmpty bool
		if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM expertpool.experts)`).Scan(&nonEmpty); err != nil {
			return DemoReport{}, fmt.Errorf("seed demo: %w", err)
		}
		if nonEmpty {
			return DemoReport{Skipped: true}, nil
		}
	}
	leaves, err := demoLeaves(ctx, s.db)
	if err != nil {
		return DemoReport{}, err
	}
	g := &demoGen{
		rng: rand.New(rand.NewPCG(uint64(opts.Seed), 0x65766c72)), today: todayOf(s.now()),
		leaves: leaves, ids: map[string]bool{}, mobiles: map[string]bool{}, orgCodes: map[string]bool{},
	}
	g.makeOrganisations(provinces, opts.Experts)
	g.makeProjects(opts.Projects)
	g.makeExperts(s, provinces, opts.Experts)
	g.tieProjects()
	rep, err := s.storeDemo(ctx, actor, g)
	if err != nil {
		return DemoReport{}, fmt.Errorf("seed demo: %w", err)
	}
	// Fresh statistics, so the first draws on a big pool get good plans.
	if _, err := s.db.Exec(ctx, `ANALYZE expertpool.experts, expertpool.expert_specialties, expertpool.expert_employments,
		expertpool.expert_consultancies, expertpool.expert_relatives, expertpool.expert_unavailable, expertpool.organisations`); err != nil {
		s.log.WarnContext(ctx, "analyze after demo seed", "err", err)
	}
	s.log.InfoContext(ctx, "demo pool seeded", "experts", rep.Experts, "organisations", rep.Organisations, "projects", rep.Projects)
	return rep, nil
}

// demoLeaf is a subcategory the demo assigns, with its weight.
type demoLeaf struct {
	code, parent string
	weight       int
}

func demoLeaves(ctx context.Context, q poolQuerier) ([]demoLeaf, error) {
	rows, _ := q.Query(ctx, `SELECT code, parent_code FROM expertpool.specialties WHERE parent_code IS NOT NULL ORDER BY code`)
	leaves, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (demoLeaf, error) {
		var l demoLeaf
		err := r.Scan(&l.code, &l.parent)
		l.weight = max(demoSpecialtyWeights[l.code], 1)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("seed demo: specialties: %w", err)
	}
	if len(leaves) == 0 {
		return nil, fmt.Errorf("seed demo: the specialty catalogue has no subcategories: %w", ErrNotFound)
	}
	return leaves, nil
}

// demoPlace is a city of the demo with its organisations.
type demoPlace struct {
	prov        demoProvince
	city        demoCity
	companies   []string
	authorities []string
}

// demoGen generates the demo pool deterministically from its rng.
type demoGen struct {
	rng      *rand.Rand
	today    time.Time
	leaves   []demoLeaf
	places   []*demoPlace
	orgs     []Organisation
	projects []ProjectInput
	projProv []string
	recs     []expertRecord
	recProv  []string
	// ids, mobiles and orgCodes keep generated values unique.
	ids, mobiles, orgCodes map[string]bool
}

func (g *demoGen) pick(list []string) string { return demoPick(g, list) }

// demoPick returns a random element of list.
func demoPick[T any](g *demoGen, list []T) T { return list[g.rng.IntN(len(list))] }

// daysAgo returns the day n days before today.
func (g *demoGen) daysAgo(n int) time.Time { return g.today.AddDate(0, 0, -n) }

// personName makes a Chinese name: a surname and one or two characters.
func (g *demoGen) personName(male bool) string {
	pool := demoGivenFemale
	if male {
		pool = demoGivenMale
	}
	name := g.pick(demoSurnames) + g.pick(pool)
	if g.rng.IntN(10) < 7 {
		name += g.pick(pool)
	}
	return name
}

// usccChars is the alphabet of unified social credit codes (GB 32100-2015).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgCode makes a unique unified social credit code with a valid check
// character: kind ("91" company, "11" public body, "12" institution),
// the city code, nine random characters.
func (g *demoGen) orgCode(kind, city string) string {
	for {
		b := []byte(kind + city)
		for range 9 {
			b = append(b, usccChars[g.rng.IntN(len(usccChars))])
		}
		sum := 0
		for i, c := range b {
			sum += strings.IndexByte(usccChars, c) * usccWeights[i]
		}
		code := string(append(b, usccChars[(31-sum%31)%31]))
		if !g.orgCodes[code] {
			g.orgCodes[code] = true
			return code
		}
	}
}

// makeOrganisations makes, in every city, public-body tenderers and companies
// (a few of them groups that others belong to).
func (g *demoGen) makeOrganisations(provinces []demoProvince, experts int) {
	cities := 0
	for _, p := range provinces {
		cities += len(p.cities)
	}
	perCity := min(max(experts/(40*cities), 8), len(demoBrands)*len(demoCompanyKinds)/2)
	for _, p := range provinces {
		for _, c := range p.cities {
			place := &demoPlace{prov: p, city: c}
			for _, a := range demoAuthorities {
				kind := "11"
				switch {
				case strings.HasSuffix(a, "医院"):
					kind = "12"
				case strings.HasSuffix(a, "公司"):
					kind = "91"
				}
				code := g.orgCode(kind, c.code)
				place.authorities = append(place.authorities, code)
				g.orgs = append(g.orgs, Organisation{Code: code, Name: c.name + a, Principal: g.personName(g.rng.IntN(4) > 0)})
			}
			names := map[string]bool{}
			var groups []string
			for len(place.companies) < perCity {
				brand := g.pick(demoBrands)
				kind := demoCompanyKinds[g.rng.IntN(len(demoCompanyKinds))]
				if len(groups) < 2 {
					kind = "建设集团有限公司"
				}
				name := c.name + brand + kind
				if names[name] {
					continue
				}
				names[name] = true
				o := Organisation{Code: g.orgCode("91", c.code), Name: name, Principal: g.personName(g.rng.IntN(5) > 0)}
				switch {
				case len(groups) < 2:
					groups = append(groups, o.Code)
				case g.rng.IntN(10) < 3:
					o.ParentCode = g.pick(groups)
				}
				place.companies = append(place.companies, o.Code)
				g.orgs = append(g.orgs, o)
			}
			g.places = append(g.places, place)
		}
	}
}

// makeProjects registers n projects, one city after another, each tendered by
// a public body with three to five bidding companies of that city.
func (g *demoGen) makeProjects(n int) {
	for i := range n {
		place := g.places[i%len(g.places)]
		kind := demoProjectKinds[i%len(demoProjectKinds)]
		p := ProjectInput{
			Code:         fmt.Sprintf("DEMO-%s-%03d", place.city.code, i+1),
			Name:         fmt.Sprintf(kind.pattern, place.city.name),
			TendererCode: g.pick(place.authorities),
			Category:     kind.category,
			Region:       g.pick(place.city.counties),
		}
		for _, j := range g.rng.Perm(len(place.companies))[:3+g.rng.IntN(3)] {
			p.Bidders = append(p.Bidders, Bidder{OrgCode: place.companies[j], Name: g.orgName(place.companies[j])})
		}
		g.projects = append(g.projects, p)
		g.projProv = append(g.projProv, place.prov.code)
	}
}

func (g *demoGen) orgName(code string) string {
	for _, o := range g.orgs {
		if o.Code == code {
			return o.Name
		}
	}
	return ""
}

// specialties picks one or two distinct subcategories, by weight.
func (g *demoGen) specialties() []string {
	total := 0
	for _, l := range g.leaves {
		total += l.weight
	}
	n := 1 + g.rng.IntN(5)/3 // 1 (60%) or 2 (40%)
	var out []string
	for len(out) < n {
		r := g.rng.IntN(total)
		for _, l := range g.leaves {
			if r -= l.weight; r < 0 {
				if len(out) == 0 || out[0] != l.code {
					out = append(out, l.code)
				}
				break
			}
		}
	}
	return normalizeCodes(out)
}
