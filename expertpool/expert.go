package expertpool

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
)

// ExpertStatus is whether an expert may be drawn.
type ExpertStatus string

// Expert statuses.
const (
	// StatusActive experts may be drawn.
	StatusActive ExpertStatus = "active"
	// StatusSuspended experts may not be drawn until SuspendedUntil (inclusive).
	StatusSuspended ExpertStatus = "suspended"
	// StatusBlacklisted experts may never be drawn.
	StatusBlacklisted ExpertStatus = "blacklisted"
)

// Identity numbers are stored three ways: sealed with AES-GCM under
// IDNumberAAD (which does not name the row, because the number is sealed
// before the row exists), as a blind index keys.MAC(IDIndexPurpose, number)
// for duplicate detection and look-up, and masked for display.
const (
	// IDNumberAAD is the associated data sealing experts.id_number_sealed.
	IDNumberAAD = "expert:id_number"
	// IDIndexPurpose is the MAC purpose of experts.id_number_index.
	IDIndexPurpose = "expert-id-index"
)

// Employment is a former employer of an expert.
type Employment struct {
	// OrgCode is the organisation's 18-character unified social credit code.
	OrgCode string `json:"org_code"`
	// EndedOn is the day the expert left (a calendar date).
	EndedOn time.Time `json:"ended_on"`
}

// Consultancy is a consultancy relation of an expert with an organisation.
type Consultancy struct {
	// OrgCode is the organisation's code.
	OrgCode string `json:"org_code"`
	// StartedOn is the first day; EndedOn the last, zero while it lasts.
	StartedOn time.Time `json:"started_on"`
	EndedOn   time.Time `json:"ended_on,omitzero"`
}

// RelativeInput declares a relative: another expert, named by identity
// number, or the principal of an organisation, named by its code. Exactly
// one of IDNumber and OrgCode is set.
type RelativeInput struct {
	IDNumber string `json:"id_number,omitempty"`
	OrgCode  string `json:"org_code,omitempty"`
	// Relation is free text (配偶, 子女…); optional.
	Relation string `json:"relation,omitempty"`
}

// Relative is a stored declared relative: ExpertID (another expert) or
// OrgCode (that organisation's principal).
type Relative struct {
	ExpertID int64  `json:"expert_id,omitempty"`
	OrgCode  string `json:"org_code,omitempty"`
	Relation string `json:"relation,omitempty"`
}

// StatusChange sets an expert's status. SuspendedUntil is required for
// StatusSuspended, Reason for StatusBlacklisted; both are ignored otherwise.
type StatusChange struct {
	Status         ExpertStatus `json:"status"`
	SuspendedUntil time.Time    `json:"suspended_until,omitzero"`
	Reason         string       `json:"reason,omitempty"`
}

// ExpertInput is what it takes to create an expert.
type ExpertInput struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Mobile   string `json:"mobile"`
	// Region is the 6-digit administrative division code of where the
	// expert works (province, city and county).
	Region string `json:"region"`
	// Specialties are specialty codes; a category code (A01) is allowed.
	Specialties []string `json:"specialties"`
	// EmployerCode is the current employer's code; empty if none.
	EmployerCode    string          `json:"employer_code,omitempty"`
	FormerEmployers []Employment    `json:"former_employers,omitempty"`
	Consultancies   []Consultancy   `json:"consultancies,omitempty"`
	Relatives       []RelativeInput `json:"relatives,omitempty"`
	// Status is the initial status; the zero value means active.
	Status StatusChange `json:"status,omitzero"`
	// Unavailable are calendar days the expert cannot serve.
	Unavailable []time.Time `json:"unavailable,omitempty"`
}

// Expert is a stored expert. The identity number is only ever returned
// masked.
type Expert struct {
	ID             int64        `json:"id"`
	Name           string       `json:"name"`
	IDNumberMasked string       `json:"id_number_masked"`
	Mobile         string       `json:"mobile"`
	Region         string       `json:"region"`
	Specialties    []string     `json:"specialties"`
	EmployerCode   string       `json:"employer_code,omitempty"`
	Status         ExpertStatus `json:"status"`
	// SuspendedUntil is set for suspended experts; BlacklistReason for
	// blacklisted ones.
	SuspendedUntil  time.Time `json:"suspended_until,omitzero"`
	BlacklistReason string    `json:"blacklist_reason,omitempty"`
	// The lists below are filled by GetExpert, not by ListExperts.
	FormerEmployers []Employment  `json:"former_employers,omitempty"`
	Consultancies   []Consultancy `json:"consultancies,omitempty"`
	Relatives       []Relative    `json:"relatives,omitempty"`
	Unavailable     []time.Time   `json:"unavailable,omitempty"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
}

// ExpertFilter selects experts for ListExperts. Zero fields match all.
type ExpertFilter struct {
	// RegionPrefix matches the start of the region code ("32" a province,
	// "3201" a city).
	RegionPrefix string
	// Specialty matches experts with this code or one below it.
	Specialty string
	Status    ExpertStatus
	// Query matches part of the name.
	Query string
	// Limit caps the page (default 50, at most 1000); Offset skips.
	Limit, Offset int
}

// checkActor refuses a change without an actor for the audit log.
func checkActor(actor string) error {
	if actor == "" {
		return fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	return nil
}

// CreateExpert validates in, stores the expert and returns it (with the
// identity number masked). Relatives named by identity number must already
// be in the pool. It returns ErrInvalid (with every problem, in Chinese)
// for bad input and ErrConflict when the identity number is already in the
// pool.
func (s *Service) CreateExpert(ctx context.Context, actor string, in ExpertInput) (Expert, error) {
	if err := checkActor(actor); err != nil {
		return Expert{}, err
	}
	specs, err := specialtySet(ctx, s.db)
	if err != nil {
		return Expert{}, err
	}
	if err := normalizeExpert(&in, todayOf(s.now()), specs).err(); err != nil {
		return Expert{}, err
	}
	x := s.newIDIndexer()
	rec := s.newRecord(x, in)
	lookup := [][]byte{rec.index}
	for _, r := range in.Relatives {
		if r.IDNumber != "" {
			lookup = append(lookup, x.index(r.IDNumber))
		}
	}
	known, err := expertIDsByIndex(ctx, s.db, lookup)
	if err != nil {
		return Expert{}, err
	}
	if _, dup := known[string(rec.index)]; dup {
		return Expert{}, errtext.Field(fmt.Errorf("%w: 身份证号 %s 已在专家库中", ErrConflict, idcard.Mask(in.IDNumber)), "id_number")
	}
	var fe fieldErrors
	for _, r := range in.Relatives {
		if r.OrgCode != "" {
			rec.relatives = append(rec.relatives, Relative{OrgCode: r.OrgCode, Relation: r.Relation})
			continue
		}
		id, ok := known[string(x.index(r.IDNumber))]
		if !ok {
			fe.add(colRelatives, "身份证号为 %s 的亲属不在专家库中", idcard.Mask(r.IDNumber))
			continue
		}
		rec.relatives = append(rec.relatives, Relative{ExpertID: id, Relation: r.Relation})
	}
	if err := fe.err(); err != nil {
		return Expert{}, err
	}
	rec.relatives = uniqueOf(rec.relatives)

	now := s.now().UTC()
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		ids, err := reserveExpertIDs(ctx, tx, 1)
		if err != nil {
			return err
		}
		rec.id = ids[0]
		if err := copyExperts(ctx, tx, []expertRecord{rec}, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{
			Actor: actor, Action: "expert.create", Object: expertObject(rec.id),
			Detail: map[string]any{"region": in.Region, "specialties": in.Specialties, "status": in.Status.Status},
		})
		return err
	})
	if errors.Is(err, ErrConflict) {
		return Expert{}, errtext.Field(fmt.Errorf("%w: 身份证号 %s 已在专家库中", ErrConflict, idcard.Mask(in.IDNumber)), "id_number")
	}
	if err != nil {
		return Expert{}, fmt.Errorf("create expert: %w", err)
	}
	return s.GetExpert(ctx, rec.id)
}

func expertObject(id int64) string { return "expert:" + strconv.FormatInt(id, 10) }

// GetExpert returns one expert with its employers, consultancies,
// relatives and unavailable days; the identity number is masked. It
// returns ErrNotFound for an unknown id.
func (s *Service) GetExpert(ctx context.Context, id int64) (Expert, error) {
	return loadExpert(ctx, s.db, id)
}

// FindExpertByIDNumber returns the expert with this identity number (via
// its blind index, the number itself is never sent to the database), or
// ErrNotFound.
func (s *Service) FindExpertByIDNumber(ctx context.Context, idNumber string) (Expert, error) {
	idNumber = idcard.Normalize(idNumber)
	if err := idcard.Validate(idNumber); err != nil {
		return Expert{}, fmt.Errorf("%w: %s", ErrInvalid, err.Error())
	}
	known, err := expertIDsByIndex(ctx, s.db, [][]byte{s.keys.MAC(IDIndexPurpose, []byte(idNumber))})
	if err != nil {
		return Expert{}, err
	}
	for _, id := range known {
		return s.GetExpert(ctx, id)
	}
	return Expert{}, fmt.Errorf("expert by identity number: %w", ErrNotFound)
}

// ListExperts returns one page of experts matching f, ordered by id, with
// their specialties (not their other lists), and how many match in all.
func (s *Service) ListExperts(ctx context.Context, f ExpertFilter) ([]Expert, int, error) {
	switch {
	case f.Limit <= 0:
		f.Limit = 50
	case f.Limit > 1000:
		f.Limit = 1000
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	f.Specialty = normalizeOrgCode(f.Specialty)
	return listExperts(ctx, s.db, f)
}

// SetExpertStatus changes an expert's status: active; suspended until a
// day (inclusive, not in the past); or blacklisted with a reason. It
// returns ErrInvalid for a bad change and ErrNotFound for an unknown id.
func (s *Service) SetExpertStatus(ctx context.Context, actor string, id int64, sc StatusChange) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	var fe fieldErrors
	normalizeStatus(&fe, &sc, todayOf(s.now()))
	if err := fe.err(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE expertpool.experts SET status = $2, suspended_until = $3, blacklist_reason = $4, updated_at = $5
			WHERE id = $1`, id, string(sc.Status), nullDate(sc.SuspendedUntil), sc.Reason, s.now().UTC())
		if err != nil {
			return poolDBError(err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		detail := map[string]any{"status": sc.Status}
		if !sc.SuspendedUntil.IsZero() {
			detail["suspended_until"] = sc.SuspendedUntil.Format(time.DateOnly)
		}
		if sc.Reason != "" {
			detail["reason"] = sc.Reason
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "expert.status", Object: expertObject(id), Detail: detail})
		return err
	})
	if err != nil {
		return fmt.Errorf("expert %d status: %w", id, err)
	}
	return nil
}

// SetUnavailable replaces the days on which an expert cannot serve (an
// empty list clears them). It returns ErrNotFound for an unknown id.
func (s *Service) SetUnavailable(ctx context.Context, actor string, id int64, days []time.Time) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	norm := make([]time.Time, len(days))
	for i, d := range days {
		if d.IsZero() {
			return fmt.Errorf("%w: %s：日期不能为空", ErrInvalid, colUnavailable)
		}
		norm[i] = calendarDay(d)
	}
	norm = dedupeDays(norm)
	if len(norm) > 366 {
		return fmt.Errorf("%w: %s：不可用日期不能超过366天", ErrInvalid, colUnavailable)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE expertpool.experts SET updated_at = $2 WHERE id = $1`, id, s.now().UTC())
		if err != nil {
			return poolDBError(err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM expertpool.expert_unavailable WHERE expert_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO expertpool.expert_unavailable (expert_id, day) SELECT $1, unnest($2::date[])`, id, norm); err != nil {
			return poolDBError(err)
		}
		list := make([]string, len(norm))
		for i, d := range norm {
			list[i] = d.Format(time.DateOnly)
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "expert.unavailable", Object: expertObject(id),
			Detail: map[string]any{"days": list}})
		return err
	})
	if err != nil {
		return fmt.Errorf("expert %d unavailable days: %w", id, err)
	}
	return nil
}
