package expertpool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// DrawStatus is what staff see of a draw while its committee is sealed:
// counts and states per venue and quota, never a name.
type DrawStatus struct {
	DrawID        int64     `json:"draw_id"`
	ProjectID     int64     `json:"project_id"`
	SessionRef    string    `json:"session_ref"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	SigninOpensAt time.Time `json:"signin_opens_at"`
	// State is filled, short, failed, aborted or finished.
	State string `json:"state"`
	// Sealed is true until sign-in opens; SeedRevealed once RevealSeed ran.
	Sealed       bool          `json:"sealed"`
	SeedRevealed bool          `json:"seed_revealed"`
	Commitment   draw.Hex      `json:"commitment"`
	Venues       []VenueStatus `json:"venues"`
	// Needed and Confirmed sum the quotas; Summary says it in Chinese
	// ("已确认3人，共需5人").
	Needed    int    `json:"needed"`
	Confirmed int    `json:"confirmed"`
	Summary   string `json:"summary"`
}

// VenueStatus is one venue of a DrawStatus.
type VenueStatus struct {
	Code    string        `json:"code"`
	Name    string        `json:"name"`
	Address string        `json:"address"`
	Region  string        `json:"region"`
	Main    bool          `json:"main"`
	Quotas  []QuotaStatus `json:"quotas"`
}

// QuotaStatus counts one quota's members by state.
type QuotaStatus struct {
	QuotaID       int64  `json:"quota_id"`
	SpecialtyCode string `json:"specialty_code"`
	RegionPrefix  string `json:"region_prefix"`
	Count         int    `json:"count"`
	// States counts members per state: notified (awaiting an answer),
	// confirmed, declined, no_answer, recused, reserve, cancelled.
	States map[string]int `json:"states"`
	// Replacements counts members drawn or promoted in place of released
	// ones.
	Replacements int `json:"replacements"`
}

// DrawStatus returns the sealed view of a draw. Errors: ErrNotFound.
func (s *Service) DrawStatus(ctx context.Context, drawID int64) (DrawStatus, error) {
	st := DrawStatus{DrawID: drawID}
	var revealed []byte
	err := s.db.QueryRow(ctx, `SELECT project_id, session_ref, starts_at, ends_at, signin_opens_at, state, seed_commitment, seed_revealed
		FROM expertpool.draws WHERE id = $1`, drawID).
		Scan(&st.ProjectID, &st.SessionRef, &st.StartsAt, &st.EndsAt, &st.SigninOpensAt, &st.State, &st.Commitment, &revealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("draw %d: %w", drawID, ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("draw %d: %w", drawID, err)
	}
	st.StartsAt, st.EndsAt, st.SigninOpensAt = st.StartsAt.UTC(), st.EndsAt.UTC(), st.SigninOpensAt.UTC()
	st.Sealed, st.SeedRevealed = s.now().Before(st.SigninOpensAt), revealed != nil
	rows, err := s.db.Query(ctx, `SELECT v.venue_code, v.name, v.address, v.region, v.is_main,
			q.id, q.specialty_code, q.region_prefix, q.count,
			coalesce((SELECT jsonb_object_agg(state, n) FROM (SELECT m.state, count(*) AS n FROM expertpool.members m
				WHERE m.quota_id = q.id GROUP BY m.state) c), '{}'),
			(SELECT count(*) FROM expertpool.members m JOIN expertpool.rounds r ON r.id = m.round_id
				WHERE m.quota_id = q.id AND (r.round > 0 OR (m.reserve AND m.state NOT IN ('reserve', 'cancelled'))))
		FROM expertpool.draw_venues v LEFT JOIN expertpool.quotas q ON q.draw_id = v.draw_id AND q.venue_code = v.venue_code
		WHERE v.draw_id = $1 ORDER BY NOT v.is_main, v.venue_code, q.id`, drawID)
	if err != nil {
		return st, fmt.Errorf("draw %d status: %w", drawID, err)
	}
	var v VenueStatus
	var qid *int64
	var q QuotaStatus
	var spec, prefix *string
	var count *int
	if _, err := pgx.ForEachRow(rows, []any{&v.Code, &v.Name, &v.Address, &v.Region, &v.Main, &qid, &spec, &prefix, &count, &q.States, &q.Replacements}, func() error {
		if n := len(st.Venues); n == 0 || st.Venues[n-1].Code != v.Code {
			st.Venues = append(st.Venues, VenueStatus{Code: v.Code, Name: v.Name, Address: v.Address, Region: v.Region, Main: v.Main})
		}
		if qid != nil {
			cur := &st.Venues[len(st.Venues)-1]
			cur.Quotas = append(cur.Quotas, QuotaStatus{QuotaID: *qid, SpecialtyCode: *spec, RegionPrefix: *prefix, Count: *count,
				States: q.States, Replacements: q.Replacements})
			st.Needed += *count
			st.Confirmed += q.States["confirmed"]
		}
		q = QuotaStatus{}
		return nil
	}); err != nil {
		return st, fmt.Errorf("draw %d status: %w", drawID, err)
	}
	st.Summary = fmt.Sprintf("已确认%d人，共需%d人", st.Confirmed, st.Needed)
	return st, nil
}

// RevealedMember is one member of a revealed committee.
type RevealedMember struct {
	MemberID       int64  `json:"member_id"`
	QuotaID        int64  `json:"quota_id"`
	VenueCode      string `json:"venue_code"`
	Name           string `json:"name"`
	IDNumberMasked string `json:"id_number_masked"`
	MobileMasked   string `json:"mobile_masked"`
	Region         string `json:"region"`
	// State is notified, confirmed, declined, no_answer or recused.
	State string `json:"state"`
	// SeatReady is true for a confirmed member, who gets a seat at sign-in.
	SeatReady bool `json:"seat_ready"`
	// Replacement is true for a member drawn or promoted in place of a
	// released one.
	Replacement bool `json:"replacement"`
}

// RevealMembers returns the names of a venue's committee members (every
// venue when venueCode is empty), once sign-in has opened; before that it
// fails with ErrSealed. Each reveal is audited ("draw.reveal") as a
// disclosure of sealed data. Reserves not called up are not shown.
// Errors: ErrInvalid (no actor), ErrNotFound (draw or venue), ErrSealed.
func (s *Service) RevealMembers(ctx context.Context, actor string, drawID int64, venueCode string) ([]RevealedMember, error) {
	if actor == "" {
		return nil, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	var signin time.Time
	var venueOK bool
	err := s.db.QueryRow(ctx, `SELECT signin_opens_at, $2 = '' OR EXISTS (SELECT 1 FROM expertpool.draw_venues v
		WHERE v.draw_id = d.id AND v.venue_code = $2) FROM expertpool.draws d WHERE id = $1`, drawID, venueCode).Scan(&signin, &venueOK)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("draw %d: %w", drawID, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("draw %d: %w", drawID, err)
	case !venueOK:
		return nil, fmt.Errorf("draw %d venue %s: %w", drawID, venueCode, ErrNotFound)
	case s.now().Before(signin):
		return nil, fmt.Errorf("draw %d opens at %s: %w", drawID, signin.UTC().Format(time.RFC3339), ErrSealed)
	}
	var out []RevealedMember
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT m.id, m.quota_id, q.venue_code, m.round_id, m.position, m.expert_sealed, m.state,
				r.round > 0 OR m.reserve
			FROM expertpool.members m JOIN expertpool.quotas q ON q.id = m.quota_id JOIN expertpool.rounds r ON r.id = m.round_id
			WHERE m.draw_id = $1 AND ($2 = '' OR q.venue_code = $2) AND m.state NOT IN ('reserve', 'cancelled')
			ORDER BY q.id, r.round, m.position`, drawID, venueCode)
		if err != nil {
			return err
		}
		type row struct {
			m        RevealedMember
			round    int64
			position int
			sealed   []byte
		}
		var list []row
		var r row
		if _, err := pgx.ForEachRow(rows, []any{&r.m.MemberID, &r.m.QuotaID, &r.m.VenueCode, &r.round, &r.position, &r.sealed,
			&r.m.State, &r.m.Replacement}, func() error {
			list = append(list, r)
			return nil
		}); err != nil {
			return err
		}
		for _, r := range list {
			id, err := s.openMember(drawID, r.round, r.position, r.sealed)
			if err != nil {
				return err
			}
			m := r.m
			var mobile string
			if err := tx.QueryRow(ctx, `SELECT name, id_number_masked, mobile, region FROM expertpool.experts WHERE id = $1`, id).
				Scan(&m.Name, &m.IDNumberMasked, &mobile, &m.Region); err != nil {
				return fmt.Errorf("expert of member %d: %w", m.MemberID, err)
			}
			m.MobileMasked, m.SeatReady = notify.MaskMobile(mobile), m.State == "confirmed"
			out = append(out, m)
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "draw.reveal", Object: drawObject(drawID),
			Detail: map[string]any{"venue_code": venueCode, "members": len(out)}})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reveal draw %d: %w", drawID, err)
	}
	return out, nil
}

// RevealSeed discloses a draw's seed so anyone can replay it: allowed once
// the session has ended, or earlier when force is set (the web layer
// allows force for supervisors only). The first reveal stores the seed in
// the draw and in the audit log ("draw.reveal_seed"); later calls return
// it again. Errors: ErrInvalid (no actor), ErrNotFound, ErrSealed.
func (s *Service) RevealSeed(ctx context.Context, actor string, drawID int64, force bool) ([]byte, error) {
	if actor == "" {
		return nil, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	var seed []byte
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var ends time.Time
		var sealed, revealed, commitment []byte
		err := tx.QueryRow(ctx, `SELECT ends_at, seed_sealed, seed_revealed, seed_commitment FROM expertpool.draws WHERE id = $1 FOR UPDATE`, drawID).
			Scan(&ends, &sealed, &revealed, &commitment)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case revealed != nil:
			seed = revealed
			return nil
		case !force && s.now().Before(ends):
			return ErrSealed
		}
		if seed, err = s.keys.Open(sealed, seedAAD(drawID)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE expertpool.draws SET seed_revealed = $2, revealed_at = $3 WHERE id = $1`, drawID, seed, s.now().UTC()); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "draw.reveal_seed", Object: drawObject(drawID),
			Detail: map[string]any{"seed": draw.Hex(seed), "commitment": draw.Hex(commitment), "forced": force && s.now().Before(ends)}})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reveal seed of draw %d: %w", drawID, err)
	}
	return seed, nil
}
