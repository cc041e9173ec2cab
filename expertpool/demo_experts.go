package expertpool

import (
	"context"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// makeExperts makes n experts spread evenly over the provinces (and over each
// province's cities by weight). Relatives between experts hold the other
// expert's index plus one in ExpertID until storeDemo knows the ids.
func (g *demoGen) makeExperts(s *Service, provinces []demoProvince, n int) {
	byProv := map[string][]*demoPlace{}
	for _, p := range g.places {
		byProv[p.prov.code] = append(byProv[p.prov.code], p)
	}
	var allCounties []string
	for _, p := range g.places {
		allCounties = append(allCounties, p.city.counties...)
	}
	x := s.newIDIndexer()
	g.recs = make([]expertRecord, 0, n)
	for i := range n {
		prov := provinces[i%len(provinces)]
		place := g.weightedPlace(byProv[prov.code])
		male := g.rng.IntN(100) < 68
		in := ExpertInput{
			Name:        g.personName(male),
			Region:      g.pick(place.city.counties),
			Specialties: g.specialties(),
			Status:      StatusChange{Status: StatusActive},
		}
		birthRegion := in.Region
		if g.rng.IntN(4) == 0 {
			birthRegion = g.pick(allCounties)
		}
		in.IDNumber = g.idNumber(birthRegion, male)
		in.Mobile = g.mobile()

		switch r := g.rng.IntN(100); {
		case r < 80:
			in.EmployerCode = g.pick(place.companies)
		case r < 86:
			in.EmployerCode = g.pick(place.authorities)
		}
		if g.rng.IntN(100) < 15 {
			for range 1 + g.rng.IntN(2) {
				other := demoPick(g, byProv[prov.code])
				org := g.pick(other.companies)
				if org != in.EmployerCode {
					in.FormerEmployers = append(in.FormerEmployers, Employment{OrgCode: org, EndedOn: g.daysAgo(100 + g.rng.IntN(3650))})
				}
			}
		}
		if g.rng.IntN(100) < 8 {
			c := Consultancy{OrgCode: g.pick(demoPick(g, byProv[prov.code]).companies), StartedOn: g.daysAgo(60 + g.rng.IntN(2200))}
			if g.rng.IntN(2) == 0 {
				if end := c.StartedOn.AddDate(0, 0, 180+g.rng.IntN(540)); end.Before(g.today) {
					c.EndedOn = end
				}
			}
			in.Consultancies = append(in.Consultancies, c)
		}
		var rels []Relative
		if i > 0 && g.rng.IntN(100) < 3 {
			j := max(0, i-300) + g.rng.IntN(min(i, 300))
			rels = append(rels, Relative{ExpertID: int64(j + 1), Relation: g.pick(demoRelations)})
		}
		if g.rng.IntN(100) < 2 {
			rels = append(rels, Relative{OrgCode: g.pick(place.companies), Relation: g.pick(demoRelations)})
		}
		switch r := g.rng.IntN(1000); {
		case r < 20:
			in.Status = StatusChange{Status: StatusSuspended, SuspendedUntil: g.today.AddDate(0, 0, 1+g.rng.IntN(180))}
		case r < 30: // a suspension that has run out: drawable again
			in.Status = StatusChange{Status: StatusSuspended, SuspendedUntil: g.daysAgo(1 + g.rng.IntN(90))}
		case r < 35:
			in.Status = StatusChange{Status: StatusBlacklisted, Reason: g.pick(demoBlacklistReasons)}
		}
		if g.rng.IntN(100) < 10 {
			for range 1 + g.rng.IntN(5) {
				in.Unavailable = append(in.Unavailable, g.today.AddDate(0, 0, g.rng.IntN(60)))
			}
			in.Unavailable = dedupeDays(in.Unavailable)
		}
		rec := expertRecord{in: in, index: x.index(in.IDNumber), relatives: rels}
		g.recs = append(g.recs, rec)
		g.recProv = append(g.recProv, prov.code)
	}
}

func (g *demoGen) weightedPlace(places []*demoPlace) *demoPlace {
	total := 0
	for _, p := range places {
		total += p.city.weight
	}
	r := g.rng.IntN(total)
	for _, p := range places {
		if r -= p.city.weight; r < 0 {
			return p
		}
	}
	return places[len(places)-1]
}

// idNumber makes a unique valid identity number of someone born between
// 1958 and 1995; the sequence number is odd for men.
func (g *demoGen) idNumber(region string, male bool) string {
	base := time.Date(1958, 1, 1, 0, 0, 0, 0, time.UTC)
	for {
		birth := base.AddDate(0, 0, g.rng.IntN(38*365))
		seq := g.rng.IntN(500) * 2
		if male {
			seq++
		}
		id := idcard.Generate(region, birth, seq)
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

func (g *demoGen) mobile() string {
	for {
		m := fmt.Sprintf("%s%08d", g.pick(demoMobilePrefixes), g.rng.IntN(100_000_000))
		if !g.mobiles[m] {
			g.mobiles[m] = true
			return m
		}
	}
}

// tieProjects makes sure each project's bidders touch a few experts of its
// province with the project's specialty: one left a bidder two years ago
// (recused by default), one seven years ago (not recused), one consulted
// for a bidder last year, one declared a relative of a bidder's principal,
// one works for a bidder.
func (g *demoGen) tieProjects() {
	for pi, p := range g.projects {
		var pool []int
		for i, prov := range g.recProv {
			if prov == g.projProv[pi] && g.recs[i].in.Status.Status == StatusActive {
				pool = append(pool, i)
			}
		}
		if len(pool) < 20 {
			continue
		}
		for bi, b := range p.Bidders {
			for tie := range 5 {
				i := pool[g.rng.IntN(len(pool))]
				r := &g.recs[i]
				if r.in.EmployerCode == b.OrgCode {
					continue
				}
				r.in.Specialties = normalizeCodes(append(r.in.Specialties, p.Category))
				switch (tie + bi) % 5 {
				case 0:
					r.in.FormerEmployers = append(r.in.FormerEmployers, Employment{OrgCode: b.OrgCode, EndedOn: g.daysAgo(2 * 365)})
				case 1:
					r.in.FormerEmployers = append(r.in.FormerEmployers, Employment{OrgCode: b.OrgCode, EndedOn: g.daysAgo(7 * 365)})
				case 2:
					r.in.Consultancies = append(r.in.Consultancies, Consultancy{OrgCode: b.OrgCode, StartedOn: g.daysAgo(400)})
				case 3:
					r.relatives = append(r.relatives, Relative{OrgCode: b.OrgCode, Relation: g.pick(demoRelations)})
				case 4:
					r.in.EmployerCode = b.OrgCode
				}
			}
		}
	}
	for i := range g.recs {
		r := &g.recs[i]
		r.in.FormerEmployers = uniqueOf(r.in.FormerEmployers)
		r.in.Consultancies = dedupeConsultancies(r.in.Consultancies)
		r.relatives = uniqueOf(r.relatives)
	}
}

// storeDemo writes everything in one transaction and counts it.
func (s *Service) storeDemo(ctx context.Context, actor string, g *demoGen) (DemoReport, error) {
	rep := DemoReport{Organisations: len(g.orgs), Projects: len(g.projects), Experts: len(g.recs)}
	for i := range g.recs {
		r := &g.recs[i]
		r.sealed = s.keys.Seal([]byte(r.in.IDNumber), []byte(IDNumberAAD))
		rep.ExpertSpecialties += len(r.in.Specialties)
		rep.FormerEmployments += len(r.in.FormerEmployers)
		rep.Consultancies += len(r.in.Consultancies)
		rep.Relatives += len(r.relatives)
		rep.UnavailableDays += len(r.in.Unavailable)
		switch r.in.Status.Status {
		case StatusSuspended:
			rep.Suspended++
		case StatusBlacklisted:
			rep.Blacklisted++
		}
	}
	now := s.now().UTC()
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		codes, names, parents, principals := make([]string, len(g.orgs)), make([]string, len(g.orgs)), make([]string, len(g.orgs)), make([]string, len(g.orgs))
		for i, o := range g.orgs {
			codes[i], names[i], parents[i], principals[i] = o.Code, o.Name, o.ParentCode, o.Principal
		}
		if _, err := tx.Exec(ctx, `INSERT INTO expertpool.organisations (code, name, parent_code, principal)
			SELECT c, n, NULLIF(p, ''), pr FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS o (c, n, p, pr)
			ON CONFLICT (code) DO NOTHING`, codes, names, parents, principals); err != nil {
			return fmt.Errorf("organisations: %w", poolDBError(err))
		}
		for _, p := range g.projects {
			var id int64
			if err := insertProject(ctx, tx, p, now, &id); err != nil {
				return fmt.Errorf("project %s: %w", p.Code, err)
			}
			rep.ProjectIDs = append(rep.ProjectIDs, id)
		}
		ids, err := reserveExpertIDs(ctx, tx, len(g.recs))
		if err != nil {
			return err
		}
		for i := range g.recs {
			g.recs[i].id = ids[i]
		}
		for i := range g.recs {
			for j, rel := range g.recs[i].relatives {
				if rel.ExpertID > 0 {
					g.recs[i].relatives[j].ExpertID = ids[rel.ExpertID-1]
				}
			}
		}
		if err := copyExperts(ctx, tx, g.recs, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "pool.seed_demo", Object: "expertpool",
			Detail: map[string]any{"organisations": rep.Organisations, "projects": rep.Projects, "experts": rep.Experts,
				"relatives": rep.Relatives, "suspended": rep.Suspended, "blacklisted": rep.Blacklisted}})
		return err
	})
	if err != nil {
		return DemoReport{}, err
	}
	return rep, nil
}
