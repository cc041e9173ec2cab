package room

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// FaultRules are the fault clocks of the rules in force.
type FaultRules struct {
	// BeforeStartWait is how long staff may wait for media between venues
	// that failed before the evaluation started; after it the tenderer
	// must decide. Zero means 2 hours.
	BeforeStartWait time.Duration
	// DuringEvalRestore is how long media that failed during evaluation
	// may take to come back; after it the session is aborted and its
	// materials sealed. Zero means 4 hours.
	DuringEvalRestore time.Duration
}

// DefaultFaultRules returns the rules in force: 2 hours before the start,
// 4 hours during evaluation.
func DefaultFaultRules() FaultRules {
	return FaultRules{BeforeStartWait: 2 * time.Hour, DuringEvalRestore: 4 * time.Hour}
}

func (r FaultRules) withDefaults() FaultRules {
	d := DefaultFaultRules()
	if r.BeforeStartWait == 0 {
		r.BeforeStartWait = d.BeforeStartWait
	}
	if r.DuringEvalRestore == 0 {
		r.DuringEvalRestore = d.DuringEvalRestore
	}
	return r
}

// FaultKind tells when a fault began, which decides its clock.
type FaultKind string

// Fault kinds.
const (
	// FaultBeforeStart began before evaluation (scheduled or sign-in).
	FaultBeforeStart FaultKind = "before_start"
	// FaultDuringEvaluation began while evaluating or paused.
	FaultDuringEvaluation FaultKind = "during_evaluation"
)

// Deadline actions: what happens when a fault's clock runs out.
const (
	// ActionTendererDecides: the tenderer must decide whether to go on,
	// postpone or move the evaluation.
	ActionTendererDecides = "tenderer_decides"
	// ActionAbortAndSeal: the session is aborted and its materials sealed.
	ActionAbortAndSeal = "abort_and_seal"
)

// Fault is one media failure between venues.
type Fault struct {
	ID         int64      `json:"id"`
	SessionID  int64      `json:"session_id"`
	Kind       FaultKind  `json:"kind"`
	Note       string     `json:"note,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	StartedBy  string     `json:"started_by"`
	Deadline   time.Time  `json:"deadline"`
	RestoredAt *time.Time `json:"restored_at,omitempty"`
	RestoredBy string     `json:"restored_by,omitempty"`
	// ExpiredAt is when the deadline action was taken.
	ExpiredAt *time.Time `json:"expired_at,omitempty"`
}

// Clock is the running clock of an open fault, for the control panel.
type Clock struct {
	FaultID   int64     `json:"fault_id"`
	Kind      FaultKind `json:"kind"`
	StartedAt time.Time `json:"started_at"`
	Deadline  time.Time `json:"deadline"`
	// Remaining is the time left until the deadline, never negative;
	// RemainingSeconds says the same in whole seconds.
	Remaining        time.Duration `json:"-"`
	RemainingSeconds int64         `json:"remaining_seconds"`
	// Overdue is true once the deadline has passed.
	Overdue bool `json:"overdue"`
	// Action is what happens at the deadline (ActionTendererDecides or
	// ActionAbortAndSeal) and Consequence says it in Chinese.
	Action      string `json:"action"`
	Consequence string `json:"consequence"`
}

// fault system actor: the fault clock acting on its own.
const faultClockActor = "system:fault-clock"

// checkVenueActor refuses staff of a venue that does not take part.
func checkVenueActor(actor Actor, sess Session) error {
	if actor.ID == "" {
		return fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	if actor.Venue != "" && !sess.HasVenue(actor.Venue) {
		return fmt.Errorf("%w: 您所在的场地不参与本场评标", ErrForbidden)
	}
	return nil
}

// MediaFailed records that media between the venues failed and starts
// its clock: before the start (scheduled, sign-in) the wait of
// BeforeStartWait, during evaluation (evaluating, paused) the restore
// limit of DuringEvalRestore. Staff of any of the session's venues may
// report it. Errors: ErrInvalid, ErrNotFound, ErrForbidden, ErrPhase
// (ended), ErrConflict (a fault is already open).
func (s *Service) MediaFailed(ctx context.Context, actor Actor, sessionID int64, note string) (Fault, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 200 {
		return Fault{}, fmt.Errorf("%w: 故障说明不能超过200字", ErrInvalid)
	}
	var f Fault
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if err := checkVenueActor(actor, sess); err != nil {
			return err
		}
		now := s.nowUTC()
		f = Fault{SessionID: sessionID, Note: note, StartedAt: now, StartedBy: actor.ID}
		switch sess.Phase {
		case PhaseScheduled, PhaseSignin:
			f.Kind, f.Deadline = FaultBeforeStart, now.Add(s.faults.BeforeStartWait)
		case PhaseEvaluating, PhasePaused:
			f.Kind, f.Deadline = FaultDuringEvaluation, now.Add(s.faults.DuringEvalRestore)
		default:
			return fmt.Errorf("%w: 评标已%s，无需登记故障", ErrPhase, sess.Phase.Label())
		}
		if err := tx.QueryRow(ctx, `INSERT INTO room.faults (session_id, kind, note, started_at, started_by, deadline)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, sessionID, string(f.Kind), note, now, actor.ID, f.Deadline).Scan(&f.ID); err != nil {
			return mapPgError(err)
		}
		return s.record(ctx, tx, actor.ID, "fault.start", sessionObject(sessionID),
			map[string]any{"fault_id": f.ID, "kind": f.Kind, "deadline": f.Deadline, "note": note})
	})
	if err != nil {
		return Fault{}, fmt.Errorf("media failed in session %d: %w", sessionID, err)
	}
	return f, nil
}

// errFaultExpired is returned when media comes back after a fault during
// evaluation outlived its deadline: the session was aborted instead.
var errFaultExpired = fmt.Errorf("%w: 音视频故障超过恢复时限，评标已中止并封存资料", ErrPhase)

// MediaRestored records that media came back and closes the open fault.
// A fault during evaluation reported restored after its deadline is
// expired instead: the session is aborted and sealed, and ErrPhase is
// returned. Errors: ErrInvalid, ErrNotFound (session, or no open fault),
// ErrForbidden, ErrPhase.
func (s *Service) MediaRestored(ctx context.Context, actor Actor, sessionID int64) (Fault, error) {
	var f Fault
	expired := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if err := checkVenueActor(actor, sess); err != nil {
			return err
		}
		if f, err = openFault(ctx, tx, sessionID); err != nil {
			return err
		}
		now := s.nowUTC()
		if f.Kind == FaultDuringEvaluation && !now.Before(f.Deadline) && !sess.Phase.Final() {
			expired = true
			return s.expireFault(ctx, tx, sess, f)
		}
		if _, err := tx.Exec(ctx, `UPDATE room.faults SET restored_at = $2, restored_by = $3 WHERE id = $1`, f.ID, now, actor.ID); err != nil {
			return mapPgError(err)
		}
		f.RestoredAt, f.RestoredBy = &now, actor.ID
		return s.record(ctx, tx, actor.ID, "fault.restore", sessionObject(sessionID),
			map[string]any{"fault_id": f.ID, "kind": f.Kind, "lasted_seconds": int64(now.Sub(f.StartedAt).Seconds())})
	})
	if err == nil && expired {
		err = errFaultExpired
	}
	if err != nil {
		return Fault{}, fmt.Errorf("media restored in session %d: %w", sessionID, err)
	}
	return f, nil
}

const faultColumns = `id, session_id, kind, note, started_at, started_by, deadline, restored_at, coalesce(restored_by, ''), expired_at`

func scanFault(row pgx.Row) (Fault, error) {
	var f Fault
	err := row.Scan(&f.ID, &f.SessionID, &f.Kind, &f.Note, &f.StartedAt, &f.StartedBy, &f.Deadline, &f.RestoredAt, &f.RestoredBy, &f.ExpiredAt)
	f.StartedAt, f.Deadline = f.StartedAt.UTC(), f.Deadline.UTC()
	return f, err
}

// openFault returns the session's open fault, locked.
func openFault(ctx context.Context, tx pgx.Tx, sessionID int64) (Fault, error) {
	f, err := scanFault(tx.QueryRow(ctx, `SELECT `+faultColumns+` FROM room.faults
		WHERE session_id = $1 AND restored_at IS NULL AND expired_at IS NULL FOR UPDATE`, sessionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Fault{}, fmt.Errorf("%w: 没有未恢复的音视频故障", ErrNotFound)
	}
	if err != nil {
		return Fault{}, fmt.Errorf("open fault: %w", err)
	}
	return f, nil
}

// expireFault takes a fault's deadline action on a locked, running
// session: a fault during evaluation aborts the session and seals it.
func (s *Service) expireFault(ctx context.Context, tx pgx.Tx, sess Session, f Fault) error {
	now := s.nowUTC()
	if _, err := tx.Exec(ctx, `UPDATE room.faults SET expired_at = $2 WHERE id = $1`, f.ID, now); err != nil {
		return mapPgError(err)
	}
	if err := s.record(ctx, tx, faultClockActor, "fault.expire", sessionObject(sess.ID),
		map[string]any{"fault_id": f.ID, "kind": f.Kind, "deadline": f.Deadline, "action": ActionAbortAndSeal}); err != nil {
		return err
	}
	reason := fmt.Sprintf("音视频故障超过%s未恢复，评标中止，资料封存", hours(s.faults.DuringEvalRestore))
	return s.movePhase(ctx, tx, faultClockActor, sess, PhaseAborted, reason, true)
}

// hours says d in Chinese ("4小时", "90分钟").
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d小时", int64(d/time.Hour))
	}
	return fmt.Sprintf("%d分钟", int64(d/time.Minute))
}

// Clocks returns the clock of each open fault of a session that has not
// ended. Errors: ErrNotFound.
func (s *Service) Clocks(ctx context.Context, sessionID int64) ([]Clock, error) {
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	out := []Clock{}
	if sess.Phase.Final() {
		return out, nil
	}
	rows, err := s.db.Query(ctx, `SELECT `+faultColumns+` FROM room.faults
		WHERE session_id = $1 AND restored_at IS NULL AND expired_at IS NULL ORDER BY started_at`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("clocks of session %d: %w", sessionID, err)
	}
	faults, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Fault, error) { return scanFault(r) })
	if err != nil {
		return nil, fmt.Errorf("clocks of session %d: %w", sessionID, err)
	}
	now := s.now()
	for _, f := range faults {
		c := Clock{FaultID: f.ID, Kind: f.Kind, StartedAt: f.StartedAt, Deadline: f.Deadline}
		if c.Remaining = f.Deadline.Sub(now); c.Remaining <= 0 {
			c.Remaining, c.Overdue = 0, true
		}
		c.RemainingSeconds = int64(c.Remaining / time.Second)
		if f.Kind == FaultBeforeStart {
			c.Action = ActionTendererDecides
			c.Consequence = fmt.Sprintf("开标前音视频故障，最多等待%s；到时仍未恢复的，由招标人决定继续等待、延期或改为其他方式评标", hours(s.faults.BeforeStartWait))
		} else {
			c.Action = ActionAbortAndSeal
			c.Consequence = fmt.Sprintf("评标中音视频故障，%s内未恢复的，评标中止，资料封存", hours(s.faults.DuringEvalRestore))
		}
		out = append(out, c)
	}
	return out, nil
}

// ExpireFaults takes the deadline action of every fault during evaluation
// whose deadline has passed: its session is aborted and its materials
// sealed, audited as the fault clock. Faults before the start only show
// as overdue: the tenderer decides. It returns how many sessions it
// aborted. Call it periodically (several nodes may call it together).
func (s *Service) ExpireFaults(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT f.session_id FROM room.faults f JOIN room.sessions x ON x.id = f.session_id
		WHERE f.kind = 'during_evaluation' AND f.restored_at IS NULL AND f.expired_at IS NULL AND f.deadline <= $1
		  AND x.phase IN ('evaluating', 'paused') ORDER BY f.deadline`, s.nowUTC())
	if err != nil {
		return 0, fmt.Errorf("expire faults: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("expire faults: %w", err)
	}
	aborted := 0
	for _, id := range ids {
		done := false
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			sess, err := loadSession(ctx, tx, id, true)
			if err != nil || sess.Phase.Final() {
				return err
			}
			f, err := openFault(ctx, tx, id)
			if errors.Is(err, ErrNotFound) {
				return nil // restored meanwhile
			}
			if err != nil {
				return err
			}
			if f.Kind != FaultDuringEvaluation || s.now().Before(f.Deadline) {
				return nil
			}
			done = true
			return s.expireFault(ctx, tx, sess, f)
		})
		if err != nil {
			return aborted, fmt.Errorf("expire faults of session %d: %w", id, err)
		}
		if done {
			aborted++
			s.log.WarnContext(ctx, "session aborted by fault clock", "session", id)
		}
	}
	return aborted, nil
}
