package expertpool

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// poolDBError converts a driver error to the package's sentinel errors:
// unique and exclusion violations to ErrConflict, check, foreign key and
// not-null violations and bad values to ErrInvalid, no rows to
// ErrNotFound. Other errors are returned as they are.
func poolDBError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return ErrNotFound
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "23505", "23P01":
			return fmt.Errorf("%w (%s)", ErrConflict, pgErr.ConstraintName)
		case "23514", "23503", "23502", "22P02", "22007", "22008", "22001":
			return fmt.Errorf("%w (%s %s)", ErrInvalid, pgErr.Code, pgErr.ConstraintName)
		}
	}
	return err
}

// querier is what both a pool and a transaction offer.
type poolQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// idIndexer computes blind indexes of identity numbers with one reusable
// HMAC; the result equals keys.MAC(IDIndexPurpose, number). It is not safe
// for concurrent use.
type idIndexer struct{ mac hash.Hash }

func (s *Service) newIDIndexer() *idIndexer {
	return &idIndexer{mac: s.keys.NewMAC(IDIndexPurpose)}
}

func (x *idIndexer) index(idNumber string) []byte {
	x.mac.Reset()
	x.mac.Write([]byte(idNumber))
	return x.mac.Sum(nil)
}

// expertRecord is a validated expert ready to be copied into the tables.
type expertRecord struct {
	id        int64
	in        ExpertInput
	sealed    []byte
	index     []byte
	relatives []Relative
}

// newRecord seals the (normalized, valid) identity number of in.
func (s *Service) newRecord(x *idIndexer, in ExpertInput) expertRecord {
	return expertRecord{
		in:     in,
		sealed: s.keys.Seal([]byte(in.IDNumber), []byte(IDNumberAAD)),
		index:  x.index(in.IDNumber),
	}
}

// expertIDsByIndex returns the ids of the stored experts whose identity
// number has one of the blind indexes, keyed by string(index).
func expertIDsByIndex(ctx context.Context, q poolQuerier, indexes [][]byte) (map[string]int64, error) {
	out := make(map[string]int64)
	if len(indexes) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT id_number_index, id FROM expertpool.experts WHERE id_number_index = ANY($1)`, indexes)
	if err != nil {
		return nil, fmt.Errorf("look up identity numbers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx []byte
		var id int64
		if err := rows.Scan(&idx, &id); err != nil {
			return nil, fmt.Errorf("look up identity numbers: %w", err)
		}
		out[string(idx)] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up identity numbers: %w", err)
	}
	return out, nil
}

// reserveExpertIDs takes n ids from the experts' sequence, so that rows
// copied in bulk can refer to each other.
func reserveExpertIDs(ctx context.Context, tx pgx.Tx, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('expertpool.experts', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("reserve %d expert ids: %w", n, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("reserve %d expert ids: %w", n, err)
	}
	return ids, nil
}

// nullDate is nil for the zero time, so it is stored as NULL.
func nullDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// copyExperts writes recs (with ids and resolved relatives) into the
// experts table and its child tables with COPY, inside tx.
func copyExperts(ctx context.Context, tx pgx.Tx, recs []expertRecord, now time.Time) error {
	var specs, emps, cons, rels, unav [][]any
	experts := make([][]any, len(recs))
	for i, r := range recs {
		in := r.in
		experts[i] = []any{r.id, in.Name, r.sealed, r.index, idcard.Mask(in.IDNumber), in.Mobile, in.Region,
			in.EmployerCode, string(in.Status.Status), nullDate(in.Status.SuspendedUntil), in.Status.Reason, now, now}
		for _, c := range in.Specialties {
			specs = append(specs, []any{r.id, c})
		}
		for _, e := range in.FormerEmployers {
			emps = append(emps, []any{r.id, e.OrgCode, e.EndedOn})
		}
		for _, c := range in.Consultancies {
			cons = append(cons, []any{r.id, c.OrgCode, c.StartedOn, nullDate(c.EndedOn)})
		}
		for _, rel := range r.relatives {
			var relID, org any
			if rel.ExpertID != 0 {
				relID = rel.ExpertID
			} else {
				org = rel.OrgCode
			}
			rels = append(rels, []any{r.id, relID, org, rel.Relation})
		}
		for _, d := range in.Unavailable {
			unav = append(unav, []any{r.id, d})
		}
	}
	copies := []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"experts", []string{"id", "name", "id_number_sealed", "id_number_index", "id_number_masked", "mobile", "region",
			"employer_code", "status", "suspended_until", "blacklist_reason", "created_at", "updated_at"}, experts},
		{"expert_specialties", []string{"expert_id", "specialty_code"}, specs},
		{"expert_employments", []string{"expert_id", "org_code", "ended_on"}, emps},
		{"expert_consultancies", []string{"expert_id", "org_code", "started_on", "ended_on"}, cons},
		{"expert_relatives", []string{"expert_id", "relative_expert_id", "org_code", "relation"}, rels},
		{"expert_unavailable", []string{"expert_id", "day"}, unav},
	}
	for _, c := range copies {
		if len(c.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"expertpool", c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("copy %d rows into %s: %w", len(c.rows), c.table, poolDBError(err))
		}
	}
	return nil
}

const expertColumns = `e.id, e.name, e.id_number_masked, e.mobile, e.region, e.employer_code, e.status,
	e.suspended_until, e.blacklist_reason, e.created_at, e.updated_at,
	ARRAY(SELECT specialty_code FROM expertpool.expert_specialties es WHERE es.expert_id = e.id ORDER BY 1)`

func scanExpert(row pgx.Row) (Expert, error) {
	var e Expert
	var until *time.Time
	var status string
	err := row.Scan(&e.ID, &e.Name, &e.IDNumberMasked, &e.Mobile, &e.Region, &e.EmployerCode, &status,
		&until, &e.BlacklistReason, &e.CreatedAt, &e.UpdatedAt, &e.Specialties)
	e.Status = ExpertStatus(status)
	if until != nil {
		e.SuspendedUntil = *until
	}
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, err
}

// loadExpert reads one expert with all its lists.
func loadExpert(ctx context.Context, q poolQuerier, id int64) (Expert, error) {
	e, err := scanExpert(q.QueryRow(ctx, `SELECT `+expertColumns+` FROM expertpool.experts e WHERE e.id = $1`, id))
	if err != nil {
		return Expert{}, fmt.Errorf("expert %d: %w", id, poolDBError(err))
	}
	rows, _ := q.Query(ctx, `SELECT org_code, ended_on FROM expertpool.expert_employments WHERE expert_id = $1 ORDER BY ended_on, org_code`, id)
	if e.FormerEmployers, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Employment]); err != nil {
		return Expert{}, fmt.Errorf("expert %d employments: %w", id, err)
	}
	rows, _ = q.Query(ctx, `SELECT org_code, started_on, COALESCE(ended_on, '0001-01-01') FROM expertpool.expert_consultancies WHERE expert_id = $1 ORDER BY started_on, org_code`, id)
	if e.Consultancies, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Consultancy]); err != nil {
		return Expert{}, fmt.Errorf("expert %d consultancies: %w", id, err)
	}
	rows, _ = q.Query(ctx, `SELECT COALESCE(relative_expert_id, 0), COALESCE(org_code, ''), relation FROM expertpool.expert_relatives WHERE expert_id = $1 ORDER BY id`, id)
	if e.Relatives, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Relative]); err != nil {
		return Expert{}, fmt.Errorf("expert %d relatives: %w", id, err)
	}
	rows, _ = q.Query(ctx, `SELECT day FROM expertpool.expert_unavailable WHERE expert_id = $1 ORDER BY day`, id)
	if e.Unavailable, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
		return Expert{}, fmt.Errorf("expert %d unavailable days: %w", id, err)
	}
	return e, nil
}

// listExperts reads one page of experts matching f, and how many match.
func listExperts(ctx context.Context, q poolQuerier, f ExpertFilter) ([]Expert, int, error) {
	where := `WHERE ($1 = '' OR starts_with(e.region, $1))
		AND ($2 = '' OR EXISTS (SELECT 1 FROM expertpool.expert_specialties es
			WHERE es.expert_id = e.id AND starts_with(es.specialty_code, $2)))
		AND ($3 = '' OR e.status = $3)
		AND ($4 = '' OR strpos(e.name, $4) > 0)`
	args := []any{f.RegionPrefix, f.Specialty, string(f.Status), f.Query}
	var total int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM expertpool.experts e `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count experts: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT `+expertColumns+` FROM expertpool.experts e `+where+`
		ORDER BY e.id LIMIT $5 OFFSET $6`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list experts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Expert, error) { return scanExpert(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("list experts: %w", err)
	}
	return list, total, nil
}
