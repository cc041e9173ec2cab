package expertpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
)

// Recusal settings: the Rules new draws apply can be changed at run time by
// an administrator. They are kept in expertpool.settings (migration 0030)
// under settingRecusal, so every evalroomd node applies the same rules;
// while no administrator has set any, the rules of the configuration file
// (Params.Rules) apply. A draw reads the rules once, when it starts, and
// stores them with itself; its replacements apply the rules stored with
// the draw, so a later change never alters a draw already made.

// settingRecusal names the recusal rules in expertpool.settings.
const settingRecusal = "recusal"

// Sources of the recusal rules in RecusalSettings.Source.
const (
	// RulesFromConfig: no administrator has set rules; the configuration
	// file's apply.
	RulesFromConfig = "config"
	// RulesFromDatabase: an administrator set the rules.
	RulesFromDatabase = "database"
)

// RecusalSettings are the rules new draws apply and where they come from.
type RecusalSettings struct {
	// Rules are what the next draw applies.
	Rules Rules `json:"rules"`
	// Source is RulesFromConfig or RulesFromDatabase.
	Source string `json:"source"`
	// Config are the rules of the configuration file, which apply again
	// after ResetRecusalRules.
	Config Rules `json:"config"`
	// UpdatedBy and UpdatedAt say who set the rules and when (empty for
	// RulesFromConfig).
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Bounds of the rule settings an administrator may choose.
const (
	maxRuleYears     = 30
	maxDrawsCap      = 31
	maxCommitteeSize = 99
	maxShareDen      = 100
)

// CheckSetting reports, in Chinese and naming the JSON field at fault
// (errtext.FieldOf), the first setting of r an administrator may not choose.
// It is stricter than Validate: the numbers must also stay within sensible
// bounds.
func (r Rules) CheckSetting() error {
	bad := func(field, format string, args ...any) error {
		return errtext.Field(fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...), field)
	}
	switch {
	case r.FormerEmployerYears < 0 || r.FormerEmployerYears > maxRuleYears:
		return bad("former_employer_years", "离职回避年限须为 0–%d 年（0 表示不回避）", maxRuleYears)
	case r.ConsultancyYears < 0 || r.ConsultancyYears > maxRuleYears:
		return bad("consultancy_years", "咨询关系回避年限须为 0–%d 年（0 表示不回避）", maxRuleYears)
	case r.MaxDrawsPerMonth < 0 || r.MaxDrawsPerMonth > maxDrawsCap:
		return bad("max_draws_per_month", "每月抽取上限须为 0–%d 次（0 表示不限）", maxDrawsCap)
	case r.MinCommittee < 1 || r.MinCommittee > maxCommitteeSize:
		return bad("min_committee", "评标委员会最少人数须为 1–%d 人", maxCommitteeSize)
	case r.ExpertShareDen < 1 || r.ExpertShareDen > maxShareDen:
		return bad("expert_share_den", "专家占比的分母须为 1–%d", maxShareDen)
	case r.ExpertShareNum < 0 || r.ExpertShareNum > r.ExpertShareDen:
		return bad("expert_share_num", "专家占比的分子须在 0 与分母之间")
	}
	return nil
}

// RecusalSettings returns the rules new draws apply now, where they come
// from and the configuration's rules.
func (s *Service) RecusalSettings(ctx context.Context) (RecusalSettings, error) {
	return s.loadRecusal(ctx, s.db)
}

// rulesQuerier is a pool or a transaction.
type rulesQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// loadRecusal reads the recusal settings through q.
func (s *Service) loadRecusal(ctx context.Context, q rulesQuerier) (RecusalSettings, error) {
	set := RecusalSettings{Rules: s.rules, Source: RulesFromConfig, Config: s.rules}
	var raw []byte
	err := q.QueryRow(ctx, `SELECT value, updated_by, updated_at FROM expertpool.settings WHERE name = $1`, settingRecusal).
		Scan(&raw, &set.UpdatedBy, &set.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return set, nil
	}
	if err != nil {
		return RecusalSettings{}, fmt.Errorf("recusal settings: %w", err)
	}
	if set.Rules, err = s.decodeRules(raw); err != nil {
		return RecusalSettings{}, fmt.Errorf("recusal settings: %w", err)
	}
	set.Source, set.UpdatedAt = RulesFromDatabase, set.UpdatedAt.UTC()
	return set, nil
}

// decodeRules reads stored rules over the configuration's, so a field
// added after they were stored takes the configured value.
func (s *Service) decodeRules(raw []byte) (Rules, error) {
	r := s.rules
	if err := json.Unmarshal(raw, &r); err != nil {
		return Rules{}, fmt.Errorf("stored rules: %w", err)
	}
	return r, nil
}

// currentRules returns the rules a draw starting now applies.
func (s *Service) currentRules(ctx context.Context) (Rules, error) {
	set, err := s.RecusalSettings(ctx)
	return set.Rules, err
}

// SetRecusalRules makes r the rules of every draw made from now on, on
// behalf of actor; draws already made keep theirs. The change is audited
// ("settings.recusal", with the rules before and after). Errors:
// ErrInvalid (errtext.FieldOf names the field).
func (s *Service) SetRecusalRules(ctx context.Context, actor string, r Rules) (RecusalSettings, error) {
	if err := checkActor(actor); err != nil {
		return RecusalSettings{}, err
	}
	if err := r.CheckSetting(); err != nil {
		return RecusalSettings{}, err
	}
	value, err := json.Marshal(r)
	if err != nil {
		return RecusalSettings{}, fmt.Errorf("recusal settings: %w", err)
	}
	var set RecusalSettings
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// Serialise changes so that "before" in the audit entry is what
		// each change replaced.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('expertpool.settings.recusal'))`); err != nil {
			return err
		}
		before, err := s.loadRecusal(ctx, tx)
		if err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `INSERT INTO expertpool.settings (name, value, updated_by, updated_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE
			SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
			settingRecusal, value, actor, now); err != nil {
			return err
		}
		set = RecusalSettings{Rules: r, Source: RulesFromDatabase, Config: s.rules, UpdatedBy: actor, UpdatedAt: now}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "settings.recusal", Object: "settings:recusal",
			Detail: map[string]any{"before": before.Rules, "before_source": before.Source, "after": r}})
		return err
	})
	if err != nil {
		return RecusalSettings{}, fmt.Errorf("set recusal rules: %w", err)
	}
	return set, nil
}

// ResetRecusalRules drops the rules an administrator set, so that the
// configuration file's rules apply again to new draws; audited
// ("settings.recusal_reset"). Resetting when nothing was set changes
// nothing and records nothing.
func (s *Service) ResetRecusalRules(ctx context.Context, actor string) (RecusalSettings, error) {
	if err := checkActor(actor); err != nil {
		return RecusalSettings{}, err
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('expertpool.settings.recusal'))`); err != nil {
			return err
		}
		before, err := s.loadRecusal(ctx, tx)
		if err != nil || before.Source == RulesFromConfig {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM expertpool.settings WHERE name = $1`, settingRecusal); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "settings.recusal_reset", Object: "settings:recusal",
			Detail: map[string]any{"before": before.Rules, "after": s.rules}})
		return err
	})
	if err != nil {
		return RecusalSettings{}, fmt.Errorf("reset recusal rules: %w", err)
	}
	return s.RecusalSettings(ctx)
}
