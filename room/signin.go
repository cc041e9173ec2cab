package room

import (
	"context"
	"fmt"
	"github.com/evalroom/evalroom/internal/errtext"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// SignIn is a committee member seated in a room.
type SignIn struct {
	ID         int64  `json:"id"`
	SessionID  int64  `json:"session_id"`
	MemberID   int64  `json:"member_id"`
	MemberName string `json:"member_name"`
	RoomID     int64  `json:"room_id"`
	VenueCode  string `json:"venue_code"`
	Seat       int    `json:"seat"`
	// CheckedBy confirmed the identity (the last IDSuffixLen characters of
	// the identity number) at CheckedAt.
	CheckedBy   string    `json:"checked_by"`
	CheckedAt   time.Time `json:"checked_at"`
	IDSuffixLen int       `json:"id_suffix_len"`
	// ReleasedAt is set when the seat was released (on-site recusal).
	ReleasedAt    *time.Time `json:"released_at,omitempty"`
	ReleasedBy    string     `json:"released_by,omitempty"`
	ReleaseReason string     `json:"release_reason,omitempty"`
	// EvaluatorCode is the member's one-time evaluator code, set only in
	// the answer to SignIn (it is shown once and never stored in clear).
	EvaluatorCode *EvaluatorCode `json:"evaluator_code,omitempty"`
}

// SignInInput signs a member in.
type SignInInput struct {
	MemberID int64 `json:"member_id"`
	RoomID   int64 `json:"room_id"`
	Seat     int   `json:"seat"`
	// IDSuffix is the last 4 to 6 characters of the identity number the
	// member showed, as staff read them.
	IDSuffix string `json:"id_suffix"`
}

// suffixRE is what staff type from the identity card: its last six
// characters. Four would prove nothing: the committee list already shows
// them.
var suffixRE = regexp.MustCompile(`^[0-9]{5}[0-9X]$`)

// SignIn seats a committee member of the room's venue, after checking the
// last digits of their identity number. It is allowed while signing in
// and, for late arrivals, while evaluating; only staff of the room's
// venue (or an actor bound to no venue) may. A wrong suffix stores
// nothing but the audited attempt and fails with ErrInvalid. Errors:
// ErrInvalid (bad input, wrong suffix, not on the venue's committee, not
// confirmed), ErrNotFound, ErrForbidden, ErrPhase, ErrConflict (seat
// taken, member already seated). The answer carries the member's
// one-time evaluator code.
func (s *Service) SignIn(ctx context.Context, actor Actor, sessionID int64, in SignInInput) (SignIn, error) {
	in.IDSuffix = strings.ToUpper(strings.TrimSpace(in.IDSuffix))
	switch {
	case actor.ID == "":
		return SignIn{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	case in.MemberID <= 0 || in.RoomID <= 0:
		return SignIn{}, fmt.Errorf("%w: 必须指定专家和评标室", ErrInvalid)
	case !suffixRE.MatchString(in.IDSuffix):
		return SignIn{}, errtext.Field(fmt.Errorf("%w: 请输入身份证号后6位", ErrInvalid), "id_suffix")
	}
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		return SignIn{}, err
	}
	room, err := checkSignInPlace(actor, sess, in)
	if err != nil {
		return SignIn{}, err
	}
	member, err := s.venueMember(ctx, actor.ID, sess, room.VenueCode, in.MemberID)
	if err != nil {
		return SignIn{}, err
	}
	ok, err := s.committee.CheckIdentity(ctx, in.MemberID, in.IDSuffix)
	if err != nil {
		return SignIn{}, fmt.Errorf("check identity of member %d: %w", in.MemberID, err)
	}
	if !ok {
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			return s.record(ctx, tx, actor.ID, "signin.identity_mismatch", sessionObject(sessionID),
				map[string]any{"member_id": in.MemberID, "room_id": in.RoomID, "seat": in.Seat, "suffix_len": len(in.IDSuffix)})
		})
		if err != nil {
			return SignIn{}, err
		}
		return SignIn{}, errtext.Field(fmt.Errorf("%w: 身份证号后%d位与登记信息不符，未签到", ErrInvalid, len(in.IDSuffix)), "id_suffix")
	}
	si := SignIn{SessionID: sessionID, MemberID: in.MemberID, MemberName: member.Name, RoomID: room.ID, VenueCode: room.VenueCode,
		Seat: in.Seat, CheckedBy: actor.ID, IDSuffixLen: len(in.IDSuffix)}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// Re-check under the session lock: the phase may have moved.
		locked, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if room, err = checkSignInPlace(actor, locked, in); err != nil {
			return err
		}
		si.CheckedAt = s.nowUTC()
		if err := tx.QueryRow(ctx, `INSERT INTO room.signins (session_id, member_id, member_name, room_id, venue_code, room_seats, seat,
				id_suffix_len, checked_by, checked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			sessionID, si.MemberID, si.MemberName, room.ID, room.VenueCode, room.Seats, si.Seat, si.IDSuffixLen, actor.ID, si.CheckedAt).
			Scan(&si.ID); err != nil {
			return mapPgError(err)
		}
		if err := s.record(ctx, tx, actor.ID, "signin.seat", sessionObject(sessionID),
			map[string]any{"signin_id": si.ID, "member_id": si.MemberID, "room_id": si.RoomID, "seat": si.Seat,
				"identity_checked": true, "suffix_len": si.IDSuffixLen, "late": locked.Phase == PhaseEvaluating}); err != nil {
			return err
		}
		code, err := s.issueCode(ctx, tx, actor.ID, "signin.code_issue", locked, si)
		si.EvaluatorCode = &code
		return err
	})
	if err != nil {
		return SignIn{}, fmt.Errorf("sign in member %d to session %d: %w", in.MemberID, sessionID, err)
	}
	return si, nil
}

// checkSignInPlace checks the phase, the actor's venue, the room and the
// seat of a sign-in.
func checkSignInPlace(actor Actor, sess Session, in SignInInput) (Room, error) {
	if sess.Phase != PhaseSignin && sess.Phase != PhaseEvaluating {
		return Room{}, fmt.Errorf("%w: 评标当前为“%s”，不能签到", ErrPhase, sess.Phase.Label())
	}
	room, ok := sess.Room(in.RoomID)
	if !ok {
		return Room{}, errtext.Field(fmt.Errorf("%w: 评标室不属于本场评标", ErrInvalid), "room_id")
	}
	if actor.Venue != "" && actor.Venue != room.VenueCode {
		return Room{}, errtext.Field(fmt.Errorf("%w: 只能为本场地的评标室签到", ErrForbidden), "room_id")
	}
	if in.Seat < 1 || in.Seat > room.Seats {
		return Room{}, errtext.Field(fmt.Errorf("%w: 座位号须在1至%d之间", ErrInvalid, room.Seats), "seat")
	}
	return room, nil
}

// venueMember returns the committee member memberID of venue, or
// ErrInvalid when the member is not on it or has not confirmed.
func (s *Service) venueMember(ctx context.Context, actor string, sess Session, venue string, memberID int64) (Member, error) {
	members, err := s.committeeMembers(ctx, actor, sess, venue)
	if err != nil {
		return Member{}, err
	}
	for _, m := range members {
		if m.MemberID != memberID {
			continue
		}
		if m.State == "recused" {
			return Member{}, fmt.Errorf("%w: 该专家已回避，不能签到", ErrInvalid)
		}
		if !m.SeatReady {
			return Member{}, fmt.Errorf("%w: 该专家尚未确认参加（状态：%s），不能签到", ErrInvalid, m.State)
		}
		return m, nil
	}
	return Member{}, fmt.Errorf("%w: 该专家不在本场地的评标委员会名单中", ErrInvalid)
}

// committeeMembers returns the members of venue (every venue when empty)
// drawn for the session, revealed by the pool under actor. Errors:
// ErrPhase (no draw linked), the pool's.
func (s *Service) committeeMembers(ctx context.Context, actor string, sess Session, venue string) ([]Member, error) {
	if sess.DrawID == 0 {
		return nil, fmt.Errorf("%w: 本场评标尚未关联专家抽取", ErrPhase)
	}
	members, err := s.committee.Members(ctx, actor, sess.DrawID, venue)
	if err != nil {
		return nil, fmt.Errorf("committee of session %d, venue %q: %w", sess.ID, venue, err)
	}
	return members, nil
}

// ListSignIns returns a session's sign-ins, released ones included, by
// room and seat. Errors: ErrNotFound.
func (s *Service) ListSignIns(ctx context.Context, sessionID int64) ([]SignIn, error) {
	if _, err := s.GetSession(ctx, sessionID); err != nil {
		return nil, err
	}
	return listSignIns(ctx, s.db, sessionID)
}

func listSignIns(ctx context.Context, q querier, sessionID int64) ([]SignIn, error) {
	rows, err := q.Query(ctx, `SELECT id, session_id, member_id, member_name, room_id, venue_code, seat, checked_by, checked_at,
			id_suffix_len, released_at, coalesce(released_by, ''), coalesce(release_reason, '')
		FROM room.signins WHERE session_id = $1 ORDER BY room_id, seat, id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sign-ins of session %d: %w", sessionID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SignIn, error) {
		var x SignIn
		err := r.Scan(&x.ID, &x.SessionID, &x.MemberID, &x.MemberName, &x.RoomID, &x.VenueCode, &x.Seat, &x.CheckedBy, &x.CheckedAt,
			&x.IDSuffixLen, &x.ReleasedAt, &x.ReleasedBy, &x.ReleaseReason)
		x.CheckedAt = x.CheckedAt.UTC()
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("sign-ins of session %d: %w", sessionID, err)
	}
	return list, nil
}

// CommitteeEntry is a committee member with their seat, for the sign-in
// panel.
type CommitteeEntry struct {
	Member
	// SignIn is the member's current seat; nil until signed in.
	SignIn *SignIn `json:"signin,omitempty"`
}

// Committee reveals the session's committee for sign-in: the members of
// venue (every venue when empty; staff are limited to their own), each
// with their current seat. Revealing is a disclosure the pool audits; it
// is allowed once the session is in sign-in or later. Errors: ErrNotFound,
// ErrForbidden, ErrPhase (before sign-in, or no draw linked).
func (s *Service) Committee(ctx context.Context, actor Actor, sessionID int64, venue string) ([]CommitteeEntry, error) {
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if err := checkVenueActor(actor, sess); err != nil {
		return nil, err
	}
	if actor.Venue != "" {
		if venue != "" && venue != actor.Venue {
			return nil, fmt.Errorf("%w: 只能查看本场地的评标委员会", ErrForbidden)
		}
		venue = actor.Venue
	}
	if venue != "" && !sess.HasVenue(venue) {
		return nil, fmt.Errorf("%w: 场地 %s 不属于本场评标", ErrNotFound, venue)
	}
	if sess.Phase == PhaseScheduled {
		return nil, fmt.Errorf("%w: 签到开始前评标委员会名单密封", ErrPhase)
	}
	members, err := s.committeeMembers(ctx, actor.ID, sess, venue)
	if err != nil {
		return nil, err
	}
	signins, err := listSignIns(ctx, s.db, sessionID)
	if err != nil {
		return nil, err
	}
	seated := map[int64]SignIn{}
	for _, si := range signins {
		if si.ReleasedAt == nil {
			seated[si.MemberID] = si
		}
	}
	out := make([]CommitteeEntry, 0, len(members))
	for _, m := range members {
		m.IDNumberMasked = hideSuffix(m.IDNumberMasked)
		e := CommitteeEntry{Member: m}
		if si, ok := seated[m.MemberID]; ok {
			e.SignIn = &si
		}
		out = append(out, e)
	}
	return out, nil
}

// hideSuffix keeps only the first six characters (the region of issue) of
// a masked identity number: staff must read the last six from the card
// itself, so the list must not show them.
func hideSuffix(masked string) string {
	if len(masked) <= 6 {
		return strings.Repeat("*", len(masked))
	}
	return masked[:6] + strings.Repeat("*", len(masked)-6)
}
