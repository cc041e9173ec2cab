package expertpool

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// Organisation is an employer, tenderer or bidder, named by its
// 18-character unified social credit code (统一社会信用代码).
type Organisation struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// ParentCode is the parent organisation (a group company); empty if
	// none. Experts employed by the parent of a party are recused too.
	ParentCode string `json:"parent_code,omitempty"`
	// Principal is the legal representative (法定代表人), for the
	// relatives rule.
	Principal string `json:"principal,omitempty"`
}

// OrganisationFilter selects organisations for ListOrganisations.
type OrganisationFilter struct {
	// Query matches part of the name or the start of the code.
	Query string
	// Limit caps the page (default 50, at most 1000); Offset skips.
	Limit, Offset int
}

// Field names of organisation input.
const (
	colOrgCode   = "单位代码"
	colOrgName   = "单位名称"
	colOrgParent = "上级单位代码"
	colPrincipal = "法定代表人"
)

// normalizeOrganisation trims o and reports every field that breaks a rule.
func normalizeOrganisation(o *Organisation) fieldErrors {
	var fe fieldErrors
	o.Code, o.ParentCode = normalizeOrgCode(o.Code), normalizeOrgCode(o.ParentCode)
	o.Name, o.Principal = strings.TrimSpace(o.Name), strings.TrimSpace(o.Principal)
	if !validOrgCode(o.Code) {
		fe.add(colOrgCode, "应为18位数字或大写字母")
	}
	validName(&fe, colOrgName, o.Name, 100)
	switch {
	case o.ParentCode == "":
	case !validOrgCode(o.ParentCode):
		fe.add(colOrgParent, "应为18位数字或大写字母")
	case o.ParentCode == o.Code:
		fe.add(colOrgParent, "不能是单位本身")
	}
	if o.Principal != "" {
		validName(&fe, colPrincipal, o.Principal, 50)
	}
	return fe
}

// UpsertOrganisation creates the organisation or, if its code exists,
// replaces its name, parent and principal. The parent must exist and must
// not be the organisation itself or one of its descendants. It returns
// ErrInvalid for bad input.
func (s *Service) UpsertOrganisation(ctx context.Context, actor string, o Organisation) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	if err := normalizeOrganisation(&o).err(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if o.ParentCode != "" {
			var exists, cycle bool
			err := tx.QueryRow(ctx, `WITH RECURSIVE up (code, parent_code, depth) AS (
					SELECT code, parent_code, 1 FROM expertpool.organisations WHERE code = $1
					UNION ALL
					SELECT p.code, p.parent_code, up.depth + 1 FROM expertpool.organisations p
					JOIN up ON p.code = up.parent_code WHERE up.depth < 64)
				SELECT EXISTS (SELECT 1 FROM up), EXISTS (SELECT 1 FROM up WHERE code = $2)`, o.ParentCode, o.Code).Scan(&exists, &cycle)
			switch {
			case err != nil:
				return err
			case !exists:
				return fmt.Errorf("%w: %s：上级单位 %s 不存在", ErrInvalid, colOrgParent, o.ParentCode)
			case cycle:
				return fmt.Errorf("%w: %s：上级单位 %s 是本单位的下级，不能形成循环", ErrInvalid, colOrgParent, o.ParentCode)
			}
		}
		var inserted bool
		err := tx.QueryRow(ctx, `INSERT INTO expertpool.organisations (code, name, parent_code, principal)
			VALUES ($1, $2, NULLIF($3, ''), $4)
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code, principal = EXCLUDED.principal
			RETURNING xmax = 0`, o.Code, o.Name, o.ParentCode, o.Principal).Scan(&inserted)
		if err != nil {
			return poolDBError(err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "organisation.upsert", Object: "organisation:" + o.Code,
			Detail: map[string]any{"name": o.Name, "parent_code": o.ParentCode, "created": inserted, "has_principal": o.Principal != ""}})
		return err
	})
	if err != nil {
		return fmt.Errorf("organisation %s: %w", o.Code, err)
	}
	return nil
}

const organisationColumns = `code, name, COALESCE(parent_code, ''), principal`

// GetOrganisation returns the organisation with code, or ErrNotFound.
func (s *Service) GetOrganisation(ctx context.Context, code string) (Organisation, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+organisationColumns+` FROM expertpool.organisations WHERE code = $1`, normalizeOrgCode(code))
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Organisation])
	if errors.Is(err, pgx.ErrNoRows) {
		return Organisation{}, fmt.Errorf("organisation %s: %w", code, ErrNotFound)
	}
	if err != nil {
		return Organisation{}, fmt.Errorf("organisation %s: %w", code, err)
	}
	return o, nil
}

// ListOrganisations returns one page of organisations matching f, ordered
// by code, and how many match in all.
func (s *Service) ListOrganisations(ctx context.Context, f OrganisationFilter) ([]Organisation, int, error) {
	f.Limit, f.Offset = pageBounds(f.Limit, f.Offset)
	q := strings.TrimSpace(f.Query)
	const where = `WHERE ($1 = '' OR strpos(name, $1) > 0 OR starts_with(code, upper($1)))`
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM expertpool.organisations `+where, q).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count organisations: %w", err)
	}
	rows, _ := s.db.Query(ctx, `SELECT `+organisationColumns+` FROM expertpool.organisations `+where+`
		ORDER BY code LIMIT $2 OFFSET $3`, q, f.Limit, f.Offset)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Organisation])
	if err != nil {
		return nil, 0, fmt.Errorf("list organisations: %w", err)
	}
	return list, total, nil
}

// pageBounds applies the default (50) and maximum (1000) page size and
// refuses negative offsets.
func pageBounds(limit, offset int) (int, int) {
	switch {
	case limit <= 0:
		limit = 50
	case limit > 1000:
		limit = 1000
	}
	return limit, max(offset, 0)
}
