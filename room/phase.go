package room

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Phase is where a session stands.
type Phase string

// The phases of a session: scheduled → signin → evaluating ⇄ paused →
// finished, or aborted from any phase that is not final.
const (
	PhaseScheduled  Phase = "scheduled"
	PhaseSignin     Phase = "signin"
	PhaseEvaluating Phase = "evaluating"
	PhasePaused     Phase = "paused"
	PhaseFinished   Phase = "finished"
	PhaseAborted    Phase = "aborted"
)

var phaseLabels = map[Phase]string{
	PhaseScheduled: "未开始", PhaseSignin: "签到中", PhaseEvaluating: "评标中",
	PhasePaused: "暂停", PhaseFinished: "结束", PhaseAborted: "中止",
}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { _, ok := phaseLabels[p]; return ok }

// Label is the phase's Chinese name.
func (p Phase) Label() string { return phaseLabels[p] }

// Final reports whether no phase follows p.
func (p Phase) Final() bool { return p == PhaseFinished || p == PhaseAborted }

// Running reports whether the session occupies its rooms: from sign-in
// until it ends.
func (p Phase) Running() bool { return p == PhaseSignin || p == PhaseEvaluating || p == PhasePaused }

// next lists the phases each phase may move to (abort aside).
var next = map[Phase][]Phase{
	PhaseScheduled:  {PhaseSignin},
	PhaseSignin:     {PhaseEvaluating},
	PhaseEvaluating: {PhasePaused, PhaseFinished},
	PhasePaused:     {PhaseEvaluating, PhaseFinished},
}

// CanMove reports whether a session may move from p to to.
func (p Phase) CanMove(to Phase) bool {
	if to == PhaseAborted {
		return !p.Final()
	}
	for _, n := range next[p] {
		if n == to {
			return true
		}
	}
	return false
}

// PhaseChange asks a session to move to another phase.
type PhaseChange struct {
	To Phase `json:"phase"`
	// Reason is required to abort and optional otherwise.
	Reason string `json:"reason"`
}

// ChangePhase moves a session to another phase. Only staff of the main
// venue (or an actor bound to no venue) may. Moving to sign-in needs at
// least one room in every venue and occupies the rooms; evaluation cannot
// start while a media fault before the start is open; finishing or
// aborting frees the rooms. Errors: ErrInvalid, ErrNotFound, ErrForbidden,
// ErrPhase (not allowed from the current phase), ErrConflict (a room busy
// in another running session).
func (s *Service) ChangePhase(ctx context.Context, actor Actor, sessionID int64, ch PhaseChange) (Session, error) {
	ch.Reason = strings.TrimSpace(ch.Reason)
	switch {
	case actor.ID == "":
		return Session{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	case !ch.To.Valid():
		return Session{}, fmt.Errorf("%w: 未知阶段 %q", ErrInvalid, ch.To)
	case ch.To == PhaseAborted && ch.Reason == "":
		return Session{}, fmt.Errorf("%w: 中止评标必须填写原因", ErrInvalid)
	case utf8.RuneCountInString(ch.Reason) > 200:
		return Session{}, fmt.Errorf("%w: 原因不能超过200字", ErrInvalid)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if actor.Venue != "" && actor.Venue != sess.MainVenue {
			return fmt.Errorf("%w: 只有主场工作人员可以变更评标阶段", ErrForbidden)
		}
		if !sess.Phase.CanMove(ch.To) {
			return fmt.Errorf("%w: 评标当前为“%s”，不能变更为“%s”", ErrPhase, sess.Phase.Label(), ch.To.Label())
		}
		if err := s.checkPhaseEntry(ctx, tx, sess, ch.To); err != nil {
			return err
		}
		return s.movePhase(ctx, tx, actor.ID, sess, ch.To, ch.Reason, false)
	})
	if err != nil {
		return Session{}, fmt.Errorf("session %d to %s: %w", sessionID, ch.To, err)
	}
	return s.GetSession(ctx, sessionID)
}

// checkPhaseEntry checks what entering phase to needs.
func (s *Service) checkPhaseEntry(ctx context.Context, tx pgx.Tx, sess Session, to Phase) error {
	switch to {
	case PhaseSignin:
		if sess.DrawID == 0 {
			return fmt.Errorf("%w: 本场评标尚未关联专家抽取，不能开始签到", ErrPhase)
		}
		for _, v := range sess.Venues() {
			found := false
			for _, r := range sess.Rooms {
				found = found || r.VenueCode == v
			}
			if !found {
				return fmt.Errorf("%w: 场地 %s 尚未配置评标室，不能开始签到", ErrPhase, v)
			}
		}
	case PhaseEvaluating:
		if sess.Phase == PhaseSignin {
			var open bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM room.faults WHERE session_id = $1
				AND restored_at IS NULL AND expired_at IS NULL)`, sess.ID).Scan(&open); err != nil {
				return fmt.Errorf("open faults: %w", err)
			}
			if open {
				return fmt.Errorf("%w: 音视频故障尚未恢复，不能开始评标（请等待恢复或由招标人决定）", ErrPhase)
			}
		}
	}
	return nil
}

// movePhase writes the phase change, occupies or frees the rooms, and
// audits it; sealed also seals the materials (an abort by the fault
// clock).
func (s *Service) movePhase(ctx context.Context, tx pgx.Tx, actor string, sess Session, to Phase, reason string, sealed bool) error {
	now := s.nowUTC()
	abortReason := ""
	if to == PhaseAborted {
		abortReason = reason
	}
	var sealedAt any
	if sealed {
		sealedAt = now
	}
	if _, err := tx.Exec(ctx, `UPDATE room.sessions SET phase = $2, phase_changed_at = $3, abort_reason = $4,
			sealed_at = coalesce(sealed_at, $5) WHERE id = $1`, sess.ID, string(to), now, abortReason, sealedAt); err != nil {
		return mapPgError(err)
	}
	if to.Running() != sess.Phase.Running() {
		if _, err := tx.Exec(ctx, `UPDATE room.session_rooms SET active = $2 WHERE session_id = $1`, sess.ID, to.Running()); err != nil {
			return mapPgError(err)
		}
	}
	detail := map[string]any{"from": sess.Phase, "to": to}
	if reason != "" {
		detail["reason"] = reason
	}
	if sealed {
		detail["sealed"] = true
	}
	return s.record(ctx, tx, actor, "session.phase", sessionObject(sess.ID), detail)
}
