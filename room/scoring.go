package room

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Evaluator is who scores: the signed-in evaluator account, bound to one
// session by its reference.
type Evaluator struct {
	// UserID is the evaluator's account.
	UserID int64
	// Actor is the account's audit name ("user:7").
	Actor string
	// SessionRef is the session the account is bound to; it must be the
	// session scored.
	SessionRef string
	// MemberID is the committee member behind the account, when known
	// (0 otherwise): accounts are not linked to members yet.
	MemberID int64
}

// ScoreInput is a score, or a correction of one.
type ScoreInput struct {
	Bidder    string  `json:"bidder"`
	Criterion string  `json:"criterion"`
	Value     float64 `json:"value"`
	Comment   string  `json:"comment"`
	// Corrects is the id of the record this one corrects: the latest of
	// its chain, by the same evaluator, for the same bidder and
	// criterion. A correction must give its reason in Comment.
	Corrects int64 `json:"corrects,omitempty"`
}

// ScoreRecord is a stored scoring record. Records are never changed: a
// correction is a new record.
type ScoreRecord struct {
	ID              int64     `json:"id"`
	SessionID       int64     `json:"session_id"`
	EvaluatorUserID int64     `json:"evaluator_user_id"`
	Actor           string    `json:"actor"`
	MemberID        int64     `json:"member_id,omitempty"`
	Bidder          string    `json:"bidder"`
	Criterion       string    `json:"criterion"`
	Value           float64   `json:"value"`
	Comment         string    `json:"comment"`
	Corrects        int64     `json:"corrects,omitempty"`
	RecordedAt      time.Time `json:"recorded_at"`
	// CorrectedBy is the record that corrects this one (0 when none):
	// the record is effective when it is not corrected.
	CorrectedBy int64 `json:"corrected_by,omitempty"`
	Effective   bool  `json:"effective"`
}

// ScoreChain is a record with the chain it belongs to.
type ScoreChain struct {
	Record ScoreRecord `json:"record"`
	// Chain lists the original record and its corrections, oldest first.
	Chain []ScoreRecord `json:"chain"`
	// Effective is the chain's latest record, whose value counts.
	Effective ScoreRecord `json:"effective"`
}

// scoringMessages are the Chinese messages of the scoring constraints.
var scoringMessages = map[string]error{
	"scores_scored_once":    fmt.Errorf("%w: 已为该投标人的该评分项打分，如需修改请提交更正记录", ErrConflict),
	"scores_corrected_once": fmt.Errorf("%w: 该记录已被更正，只能更正最新的记录", ErrConflict),
	"scores_corrects_same":  fmt.Errorf("%w: 更正记录须与被更正记录属于同一评标、同一专家、同一投标人和评分项", ErrInvalid),
	"scores_value_bounds":   fmt.Errorf("%w: 分值超出该评分项的范围", ErrInvalid),
	"scores_phase":          fmt.Errorf("%w: 只有评标进行中才能打分", ErrPhase),
}

func scoringPgError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if e, ok := scoringMessages[pe.ConstraintName]; ok {
			return e
		}
	}
	return mapPgError(err)
}

// RecordScore stores an evaluator's score, or a correction of an earlier
// one, stamped with the server's UTC time. It is allowed only while the
// session is evaluating, and only to an evaluator bound to the session.
// Errors: ErrInvalid (unknown bidder or criterion, a value out of the
// criterion's bounds or with more than two decimals, a correction without
// a reason or of another evaluator's, bidder's or criterion's record),
// ErrNotFound (session, or the record corrected), ErrForbidden, ErrPhase,
// ErrConflict (scored already: correct instead; the record corrected is
// not the latest of its chain). Nothing is stored on error.
func (s *Service) RecordScore(ctx context.Context, ev Evaluator, sessionID int64, in ScoreInput) (ScoreRecord, error) {
	in.Bidder, in.Criterion, in.Comment = strings.TrimSpace(in.Bidder), strings.TrimSpace(in.Criterion), strings.TrimSpace(in.Comment)
	switch {
	case ev.UserID <= 0 || ev.Actor == "":
		return ScoreRecord{}, fmt.Errorf("%w: 缺少评标专家", ErrInvalid)
	case ev.MemberID < 0 || in.Corrects < 0:
		return ScoreRecord{}, fmt.Errorf("%w: 编号无效", ErrInvalid)
	case in.Bidder == "" || in.Criterion == "":
		return ScoreRecord{}, fmt.Errorf("%w: 必须指定投标人和评分项", ErrInvalid)
	case !hundredths(in.Value) || math.Abs(in.Value) > maxScore:
		return ScoreRecord{}, fmt.Errorf("%w: 分值须为最多两位小数的数", ErrInvalid)
	case utf8.RuneCountInString(in.Comment) > 500:
		return ScoreRecord{}, fmt.Errorf("%w: 评语不能超过500字", ErrInvalid)
	case in.Corrects > 0 && in.Comment == "":
		return ScoreRecord{}, fmt.Errorf("%w: 更正分数必须在评语中说明原因", ErrInvalid)
	}
	in.Value = math.Round(in.Value*100) / 100
	var rec ScoreRecord
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if ev.SessionRef == "" || ev.SessionRef != sess.Ref {
			return fmt.Errorf("%w: 只能为本人所在的评标打分", ErrForbidden)
		}
		if sess.Phase != PhaseEvaluating {
			return fmt.Errorf("%w: 评标当前为“%s”，只有评标进行中才能打分", ErrPhase, sess.Phase.Label())
		}
		if err := checkAgainstSheet(ctx, tx, sessionID, in); err != nil {
			return err
		}
		if in.Corrects > 0 {
			if err := checkCorrected(ctx, tx, ev, sessionID, in); err != nil {
				return err
			}
		}
		var memberID, corrects *int64
		if ev.MemberID > 0 {
			memberID = &ev.MemberID
		}
		if in.Corrects > 0 {
			corrects = &in.Corrects
		}
		rec = ScoreRecord{SessionID: sessionID, EvaluatorUserID: ev.UserID, Actor: ev.Actor, MemberID: ev.MemberID,
			Bidder: in.Bidder, Criterion: in.Criterion, Value: in.Value, Comment: in.Comment, Corrects: in.Corrects,
			RecordedAt: s.nowUTC(), Effective: true}
		if err := tx.QueryRow(ctx, `INSERT INTO room.scores (session_id, evaluator_user_id, actor, member_id, bidder, criterion,
				value, comment, corrects, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			sessionID, ev.UserID, ev.Actor, memberID, in.Bidder, in.Criterion, in.Value, in.Comment, corrects, rec.RecordedAt).
			Scan(&rec.ID); err != nil {
			return scoringPgError(err)
		}
		action := "score.record"
		if in.Corrects > 0 {
			action = "score.correct"
		}
		return s.record(ctx, tx, ev.Actor, action, sessionObject(sessionID), map[string]any{"score_id": rec.ID,
			"bidder": rec.Bidder, "criterion": rec.Criterion, "value": rec.Value, "comment": rec.Comment,
			"corrects": rec.Corrects, "member_id": rec.MemberID, "recorded_at": rec.RecordedAt})
	})
	if err != nil {
		return ScoreRecord{}, fmt.Errorf("score in session %d: %w", sessionID, err)
	}
	return rec, nil
}

// checkAgainstSheet checks the bidder, the criterion and the value's
// bounds against the session's score sheet.
func checkAgainstSheet(ctx context.Context, tx pgx.Tx, sessionID int64, in ScoreInput) error {
	var bidder bool
	var lo, hi *float64
	if err := tx.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM room.bidders WHERE session_id = $1 AND code = $2),
			(SELECT min_value::float8 FROM room.criteria WHERE session_id = $1 AND code = $3),
			(SELECT max_value::float8 FROM room.criteria WHERE session_id = $1 AND code = $3)`,
		sessionID, in.Bidder, in.Criterion).Scan(&bidder, &lo, &hi); err != nil {
		return fmt.Errorf("score sheet: %w", err)
	}
	switch {
	case !bidder:
		return fmt.Errorf("%w: 投标人 %q 不在本场评标的评分表中", ErrInvalid, in.Bidder)
	case lo == nil || hi == nil:
		return fmt.Errorf("%w: 评分项 %q 不在本场评标的评分表中", ErrInvalid, in.Criterion)
	case in.Value < *lo || in.Value > *hi:
		return fmt.Errorf("%w: 评分项 %s 的分值须在 %.2f 至 %.2f 之间", ErrInvalid, in.Criterion, *lo, *hi)
	}
	return nil
}

// checkCorrected checks that the record corrected is the evaluator's own,
// for the same bidder and criterion, and not corrected yet.
func checkCorrected(ctx context.Context, tx pgx.Tx, ev Evaluator, sessionID int64, in ScoreInput) error {
	old, err := loadScore(ctx, tx, in.Corrects)
	if err != nil {
		return err
	}
	switch {
	case old.SessionID != sessionID || old.EvaluatorUserID != ev.UserID:
		return fmt.Errorf("%w: 只能更正本人在本场评标中的记录", ErrInvalid)
	case old.Bidder != in.Bidder || old.Criterion != in.Criterion:
		return fmt.Errorf("%w: 更正记录须与被更正记录的投标人和评分项相同", ErrInvalid)
	case old.CorrectedBy != 0:
		return fmt.Errorf("%w: 记录 %d 已被记录 %d 更正，只能更正最新的记录", ErrConflict, old.ID, old.CorrectedBy)
	}
	return nil
}

const scoreColumns = `s.id, s.session_id, s.evaluator_user_id, s.actor, coalesce(s.member_id, 0), s.bidder, s.criterion,
	s.value::float8, s.comment, coalesce(s.corrects, 0), s.recorded_at,
	coalesce((SELECT c.id FROM room.scores c WHERE c.corrects = s.id), 0)`

func scanScore(row pgx.Row) (ScoreRecord, error) {
	var x ScoreRecord
	err := row.Scan(&x.ID, &x.SessionID, &x.EvaluatorUserID, &x.Actor, &x.MemberID, &x.Bidder, &x.Criterion,
		&x.Value, &x.Comment, &x.Corrects, &x.RecordedAt, &x.CorrectedBy)
	x.RecordedAt, x.Effective = x.RecordedAt.UTC(), x.CorrectedBy == 0
	return x, err
}

func loadScore(ctx context.Context, q querier, id int64) (ScoreRecord, error) {
	x, err := scanScore(q.QueryRow(ctx, `SELECT `+scoreColumns+` FROM room.scores s WHERE s.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return ScoreRecord{}, fmt.Errorf("%w: 评分记录 %d 不存在", ErrNotFound, id)
	}
	if err != nil {
		return ScoreRecord{}, fmt.Errorf("score %d: %w", id, err)
	}
	return x, nil
}

// ScoreFilter selects records for ListScores.
type ScoreFilter struct {
	// EvaluatorUserID lists one evaluator's records only; 0 lists all.
	EvaluatorUserID int64
	// EffectiveOnly leaves out corrected records.
	EffectiveOnly bool
}

// ListScores returns a session's scoring records in the order they were
// recorded, each marked effective or corrected. Errors: ErrNotFound.
func (s *Service) ListScores(ctx context.Context, sessionID int64, f ScoreFilter) ([]ScoreRecord, error) {
	if _, err := s.GetSession(ctx, sessionID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+scoreColumns+` FROM room.scores s
		WHERE s.session_id = $1 AND ($2 = 0 OR s.evaluator_user_id = $2)
		  AND (NOT $3 OR NOT EXISTS (SELECT 1 FROM room.scores c WHERE c.corrects = s.id))
		ORDER BY s.id`, sessionID, f.EvaluatorUserID, f.EffectiveOnly)
	if err != nil {
		return nil, fmt.Errorf("scores of session %d: %w", sessionID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScoreRecord, error) { return scanScore(r) })
	if err != nil {
		return nil, fmt.Errorf("scores of session %d: %w", sessionID, err)
	}
	return list, nil
}

// GetScore returns a record with its correction chain. Errors:
// ErrNotFound.
func (s *Service) GetScore(ctx context.Context, id int64) (ScoreChain, error) {
	rec, err := loadScore(ctx, s.db, id)
	if err != nil {
		return ScoreChain{}, err
	}
	// A chain is every record of one evaluator for one bidder and
	// criterion in the session: the database allows one original and
	// one correction per record.
	rows, err := s.db.Query(ctx, `SELECT `+scoreColumns+` FROM room.scores s
		WHERE s.session_id = $1 AND s.evaluator_user_id = $2 AND s.bidder = $3 AND s.criterion = $4 ORDER BY s.id`,
		rec.SessionID, rec.EvaluatorUserID, rec.Bidder, rec.Criterion)
	if err != nil {
		return ScoreChain{}, fmt.Errorf("chain of score %d: %w", id, err)
	}
	chain, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScoreRecord, error) { return scanScore(r) })
	if err != nil {
		return ScoreChain{}, fmt.Errorf("chain of score %d: %w", id, err)
	}
	return ScoreChain{Record: rec, Chain: chain, Effective: chain[len(chain)-1]}, nil
}
