package expertpool

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// errClosed is the polite refusal of an answer that comes too late.
var errClosed = fmt.Errorf("%w: 本次邀请已结束（已答复、已超过答复期限或已另行安排），无需再答复，感谢您的支持", ErrAnswerClosed)

// Answer channels.
const (
	ChannelLink    = "link"
	ChannelGateway = "gateway"
	ChannelPhone   = "phone"
	ChannelStaff   = "staff"
)

// AnswerInput is a member's answer to an invitation.
type AnswerInput struct {
	MemberID int64
	// Accept is true to take part, false to decline.
	Accept bool
	// Reason for declining; required except from the gateway, whose
	// reason is "按键2".
	Reason string
	// Channel is how the answer came: "link", "gateway", "phone" or
	// "staff".
	Channel string
	// Actor is who records it, for the audit log ("expert-link",
	// "gateway", "user:7").
	Actor string
}

// AnswerResult is the outcome of an answer.
type AnswerResult struct {
	MemberID int64  `json:"member_id"`
	DrawID   int64  `json:"draw_id"`
	State    string `json:"state"`
	// ReplacementID is the member drawn in place of a declined or recused
	// one; 0 when none was drawn (none needed, or no candidate left).
	ReplacementID int64 `json:"replacement_id,omitempty"`
	// Notice is the Chinese text to show the one who answered.
	Notice string `json:"notice"`
}

// Answer records a member's answer. Accept makes the member confirmed and
// sends a confirmation; decline releases the booking and draws a
// replacement for the same quota, in the same transaction. It fails with
// ErrNotFound for an unknown member, ErrInvalid for a bad channel or a
// missing reason, and ErrAnswerClosed when the member already answered,
// was released, or the deadline passed.
func (s *Service) Answer(ctx context.Context, in AnswerInput) (AnswerResult, error) {
	var res AnswerResult
	err := s.answerTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = s.answerInTx(ctx, tx, in)
		return err
	})
	return res, err
}

// answerTx runs fn in a transaction and commits when it returns nil.
func (s *Service) answerTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func validateAnswer(in *AnswerInput) error {
	switch in.Channel {
	case ChannelLink, ChannelGateway, ChannelPhone, ChannelStaff:
	default:
		return fmt.Errorf("%w: 答复渠道无效", ErrInvalid)
	}
	if in.Actor == "" {
		return fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Accept {
		in.Reason = ""
		return nil
	}
	if in.Reason == "" && in.Channel == ChannelGateway {
		in.Reason = "按键2"
	}
	if in.Reason == "" {
		return fmt.Errorf("%w: 拒绝原因不能为空", ErrInvalid)
	}
	if utf8.RuneCountInString(in.Reason) > 200 {
		return fmt.Errorf("%w: 拒绝原因不能超过200字", ErrInvalid)
	}
	return nil
}

// lockOpenMember locks member and checks that it may still answer.
func (s *Service) lockOpenMember(ctx context.Context, tx pgx.Tx, memberID int64, states ...string) (drawID int64, state string, err error) {
	var deadline *time.Time
	err = tx.QueryRow(ctx, `SELECT draw_id, state, deadline FROM expertpool.members WHERE id = $1 FOR UPDATE`, memberID).
		Scan(&drawID, &state, &deadline)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", fmt.Errorf("member %d: %w", memberID, ErrNotFound)
	}
	if err != nil {
		return 0, "", fmt.Errorf("member %d: %w", memberID, err)
	}
	for _, ok := range states {
		if state == ok {
			if state == "notified" && deadline != nil && !s.now().Before(*deadline) {
				return drawID, state, fmt.Errorf("member %d: %w", memberID, errClosed)
			}
			return drawID, state, nil
		}
	}
	return drawID, state, fmt.Errorf("member %d: %w", memberID, errClosed)
}

func (s *Service) answerInTx(ctx context.Context, tx pgx.Tx, in AnswerInput) (AnswerResult, error) {
	if err := validateAnswer(&in); err != nil {
		return AnswerResult{}, err
	}
	drawID, _, err := s.lockOpenMember(ctx, tx, in.MemberID, "notified")
	if err != nil {
		return AnswerResult{}, err
	}
	res := AnswerResult{MemberID: in.MemberID, DrawID: drawID}
	now := s.now().UTC()
	detail := map[string]any{"draw_id": drawID, "channel": in.Channel}
	action := "member.confirm"
	if in.Accept {
		if _, err := tx.Exec(ctx, `UPDATE expertpool.members SET state = 'confirmed', answered_at = $2, answer_channel = $3 WHERE id = $1`,
			in.MemberID, now, in.Channel); err != nil {
			return res, fmt.Errorf("confirm member %d: %w", in.MemberID, err)
		}
		if err := s.enqueue(ctx, tx, in.MemberID, KindConfirmed); err != nil {
			return res, err
		}
		res.State, res.Notice = "confirmed", "已确认参加，感谢您的支持！请按时到场签到。"
	} else {
		action = "member.decline"
		detail["reason"] = in.Reason
		if _, err := tx.Exec(ctx, `UPDATE expertpool.members SET state = 'declined', answered_at = $2, answer_channel = $3, decline_reason = $4 WHERE id = $1`,
			in.MemberID, now, in.Channel, in.Reason); err != nil {
			return res, fmt.Errorf("decline member %d: %w", in.MemberID, err)
		}
		if res.ReplacementID, err = s.releaseAndReplace(ctx, tx, in.MemberID, in.Actor); err != nil {
			return res, err
		}
		detail["replacement_member_id"] = res.ReplacementID
		res.State, res.Notice = "declined", "已收到您的拒绝答复，感谢您的告知。"
	}
	if _, err := s.audit.Append(ctx, tx, audit.Record{Actor: in.Actor, Action: action, Object: memberObject(in.MemberID), Detail: detail}); err != nil {
		return res, fmt.Errorf("audit %s: %w", action, err)
	}
	return res, nil
}

// releaseAndReplace frees the member's booking and draws a replacement.
func (s *Service) releaseAndReplace(ctx context.Context, tx pgx.Tx, memberID int64, actor string) (int64, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM expertpool.bookings WHERE member_id = $1`, memberID); err != nil {
		return 0, fmt.Errorf("release booking of member %d: %w", memberID, err)
	}
	id, err := s.replaceInTx(ctx, tx, memberID, actor)
	if err != nil {
		return 0, fmt.Errorf("replace member %d: %w", memberID, err)
	}
	return id, nil
}

func memberObject(id int64) string { return "member:" + strconv.FormatInt(id, 10) }

// RecordPhoneAnswer records an answer staff took by phone. Errors are
// those of Answer.
func (s *Service) RecordPhoneAnswer(ctx context.Context, actor string, memberID int64, accept bool, reason string) (AnswerResult, error) {
	return s.Answer(ctx, AnswerInput{MemberID: memberID, Accept: accept, Reason: reason, Channel: ChannelPhone, Actor: actor})
}

// MarkRecusedOnSite records that a notified or confirmed member must
// withdraw because of a conflict discovered on site: the member becomes
// recused, the booking is released and a replacement is drawn. It fails
// with ErrInvalid without a reason, ErrNotFound for an unknown member and
// ErrAnswerClosed when the member is no longer on the committee.
func (s *Service) MarkRecusedOnSite(ctx context.Context, actor string, memberID int64, reason string) (AnswerResult, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case actor == "":
		return AnswerResult{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	case reason == "":
		return AnswerResult{}, fmt.Errorf("%w: 回避原因不能为空", ErrInvalid)
	case utf8.RuneCountInString(reason) > 200:
		return AnswerResult{}, fmt.Errorf("%w: 回避原因不能超过200字", ErrInvalid)
	}
	res := AnswerResult{MemberID: memberID, State: "recused", Notice: "已登记现场回避，并已抽取替补专家。"}
	err := s.answerTx(ctx, func(tx pgx.Tx) error {
		drawID, prev, err := s.lockOpenMember(ctx, tx, memberID, "notified", "confirmed")
		if err != nil {
			return err
		}
		res.DrawID = drawID
		if _, err := tx.Exec(ctx, `UPDATE expertpool.members SET state = 'recused', decline_reason = $2 WHERE id = $1`, memberID, reason); err != nil {
			return fmt.Errorf("recuse member %d: %w", memberID, err)
		}
		if res.ReplacementID, err = s.releaseAndReplace(ctx, tx, memberID, actor); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "member.recuse", Object: memberObject(memberID),
			Detail: map[string]any{"draw_id": drawID, "previous_state": prev, "reason": reason, "replacement_member_id": res.ReplacementID}})
		if err != nil {
			return fmt.Errorf("audit member.recuse: %w", err)
		}
		return nil
	})
	if err != nil {
		return AnswerResult{}, err
	}
	return res, nil
}
