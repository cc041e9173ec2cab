package room

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
)

// Bidder is a bid under evaluation in a session.
type Bidder struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Criterion is a scoring criterion with the bounds of its value.
type Criterion struct {
	Code string  `json:"code"`
	Name string  `json:"name"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// ScoreSheet is what a session's evaluators score: every bidder on every
// criterion.
type ScoreSheet struct {
	Bidders  []Bidder    `json:"bidders"`
	Criteria []Criterion `json:"criteria"`
}

// maxScore bounds a value (numeric(7, 2) in the database).
const maxScore = 99999.99

var sheetCodeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// hundredths reports whether v has at most two decimals.
func hundredths(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v*100-math.Round(v*100)) < 1e-6
}

func (sh *ScoreSheet) validate() error {
	if len(sh.Bidders) == 0 || len(sh.Criteria) == 0 {
		field := "bidders"
		if len(sh.Bidders) > 0 {
			field = "criteria"
		}
		return errtext.Field(fmt.Errorf("%w: 评分表至少需要一个投标人和一个评分项", ErrInvalid), field)
	}
	if len(sh.Bidders) > 200 || len(sh.Criteria) > 200 {
		return fmt.Errorf("%w: 投标人和评分项各不能超过200个", ErrInvalid)
	}
	bidders, criteria := map[string]bool{}, map[string]bool{}
	for i := range sh.Bidders {
		b := &sh.Bidders[i]
		if err := checkSheetEntry("投标人", &b.Code, &b.Name, bidders); err != nil {
			return errtext.Field(err, "bidders")
		}
	}
	for i := range sh.Criteria {
		c := &sh.Criteria[i]
		if err := checkSheetEntry("评分项", &c.Code, &c.Name, criteria); err != nil {
			return errtext.Field(err, "criteria")
		}
		switch {
		case !hundredths(c.Min) || !hundredths(c.Max) || math.Abs(c.Min) > maxScore || math.Abs(c.Max) > maxScore:
			return errtext.Field(fmt.Errorf("%w: 评分项 %s 的分值范围须为最多两位小数、绝对值不超过 %.2f 的数", ErrInvalid, c.Code, maxScore), "criteria")
		case c.Max <= c.Min:
			return errtext.Field(fmt.Errorf("%w: 评分项 %s 的最高分必须大于最低分", ErrInvalid, c.Code), "criteria")
		}
	}
	return nil
}

// checkSheetEntry trims a bidder's or criterion's code and name and
// checks them; kind names the entry in messages, seen holds the codes of
// its kind so far.
func checkSheetEntry(kind string, code, name *string, seen map[string]bool) error {
	*code, *name = strings.TrimSpace(*code), strings.TrimSpace(*name)
	switch {
	case !sheetCodeRE.MatchString(*code):
		return fmt.Errorf("%w: %s编号 %q 须为 1–32 位字母、数字或 _ . -", ErrInvalid, kind, *code)
	case *name == "" || utf8.RuneCountInString(*name) > 200:
		return fmt.Errorf("%w: %s %s 的名称不能为空且不超过200字", ErrInvalid, kind, *code)
	case seen[*code]:
		return fmt.Errorf("%w: %s编号 %s 重复", ErrInvalid, kind, *code)
	}
	seen[*code] = true
	return nil
}

// SetScoreSheet replaces a session's score sheet. It is allowed before
// evaluation starts (scheduled or sign-in); afterwards the sheet the
// scores were given on stays as it is. Errors: ErrInvalid, ErrNotFound,
// ErrPhase.
func (s *Service) SetScoreSheet(ctx context.Context, actor string, sessionID int64, sh ScoreSheet) (ScoreSheet, error) {
	if actor == "" {
		return ScoreSheet{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	sh = ScoreSheet{Bidders: append([]Bidder(nil), sh.Bidders...), Criteria: append([]Criterion(nil), sh.Criteria...)}
	if err := sh.validate(); err != nil {
		return ScoreSheet{}, err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if sess.Phase != PhaseScheduled && sess.Phase != PhaseSignin {
			return fmt.Errorf("%w: 评标当前为“%s”，评分表只能在评标开始前设置", ErrPhase, sess.Phase.Label())
		}
		for _, q := range []string{`DELETE FROM room.bidders WHERE session_id = $1`, `DELETE FROM room.criteria WHERE session_id = $1`} {
			if _, err := tx.Exec(ctx, q, sessionID); err != nil {
				return mapPgError(err)
			}
		}
		for _, b := range sh.Bidders {
			if _, err := tx.Exec(ctx, `INSERT INTO room.bidders (session_id, code, name) VALUES ($1, $2, $3)`,
				sessionID, b.Code, b.Name); err != nil {
				return mapPgError(err)
			}
		}
		for _, c := range sh.Criteria {
			if _, err := tx.Exec(ctx, `INSERT INTO room.criteria (session_id, code, name, min_value, max_value)
				VALUES ($1, $2, $3, $4, $5)`, sessionID, c.Code, c.Name, c.Min, c.Max); err != nil {
				return mapPgError(err)
			}
		}
		return s.record(ctx, tx, actor, "scoring.sheet", sessionObject(sessionID), sh)
	})
	if err != nil {
		return ScoreSheet{}, fmt.Errorf("score sheet of session %d: %w", sessionID, err)
	}
	return s.ScoreSheet(ctx, sessionID)
}

// ScoreSheet returns a session's score sheet (empty lists when none is
// set). Errors: ErrNotFound.
func (s *Service) ScoreSheet(ctx context.Context, sessionID int64) (ScoreSheet, error) {
	if _, err := s.GetSession(ctx, sessionID); err != nil {
		return ScoreSheet{}, err
	}
	return loadSheet(ctx, s.db, sessionID)
}

func loadSheet(ctx context.Context, q querier, sessionID int64) (ScoreSheet, error) {
	sh := ScoreSheet{Bidders: []Bidder{}, Criteria: []Criterion{}}
	rows, err := q.Query(ctx, `SELECT code, name FROM room.bidders WHERE session_id = $1 ORDER BY code`, sessionID)
	if err != nil {
		return sh, fmt.Errorf("bidders of session %d: %w", sessionID, err)
	}
	if sh.Bidders, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Bidder]); err != nil {
		return sh, fmt.Errorf("bidders of session %d: %w", sessionID, err)
	}
	rows, err = q.Query(ctx, `SELECT code, name, min_value::float8, max_value::float8 FROM room.criteria
		WHERE session_id = $1 ORDER BY code`, sessionID)
	if err != nil {
		return sh, fmt.Errorf("criteria of session %d: %w", sessionID, err)
	}
	if sh.Criteria, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Criterion]); err != nil {
		return sh, fmt.Errorf("criteria of session %d: %w", sessionID, err)
	}
	return sh, nil
}
