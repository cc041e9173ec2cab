package expertpool

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/jackc/pgx/v5"
)

// GatewayAnswer is a keypress reported by the voice gateway for one
// delivered message.
type GatewayAnswer struct {
	// MessageID is the id of the message the call played ("outbox:123").
	MessageID string `json:"message_id"`
	// Key is the key pressed: "1" accept, "2" decline, "3" repeat.
	Key string `json:"key"`
}

// parseMessageID returns the outbox id in "outbox:<id>".
func parseMessageID(id string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, "outbox:")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n > 0
}

// GatewayCallback records the keypress of a gateway callback whose
// signature the caller has checked (Notifier.HandleCallback does both).
// "1" confirms, "2" declines with reason "按键2" and draws a replacement,
// "3" sends the invitation again. It fails with ErrInvalid for another key
// or a message that asked for none, ErrNotFound for an unknown message,
// and ErrAnswerClosed when the member can no longer answer.
func (s *Service) GatewayCallback(ctx context.Context, a GatewayAnswer) (AnswerResult, error) {
	outboxID, ok := parseMessageID(a.MessageID)
	if !ok {
		return AnswerResult{}, fmt.Errorf("%w: 消息编号无效", ErrInvalid)
	}
	var memberID int64
	var kind string
	err := s.db.QueryRow(ctx, `SELECT member_id, kind FROM expertpool.outbox WHERE id = $1`, outboxID).Scan(&memberID, &kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return AnswerResult{}, fmt.Errorf("message %s: %w", a.MessageID, ErrNotFound)
	}
	if err != nil {
		return AnswerResult{}, fmt.Errorf("message %s: %w", a.MessageID, err)
	}
	if !expectsAnswer(kind) {
		return AnswerResult{}, fmt.Errorf("%w: 该消息无需按键答复", ErrInvalid)
	}
	switch a.Key {
	case "1", "2":
		return s.Answer(ctx, AnswerInput{MemberID: memberID, Accept: a.Key == "1", Channel: ChannelGateway, Actor: "gateway"})
	case "3":
		return s.repeatInvite(ctx, memberID, a.MessageID)
	default:
		return AnswerResult{}, fmt.Errorf("%w: 按键无效（1确认，2拒绝，3重听）", ErrInvalid)
	}
}

// repeatInvite queues the invitation again for a member still waiting.
func (s *Service) repeatInvite(ctx context.Context, memberID int64, messageID string) (AnswerResult, error) {
	res := AnswerResult{MemberID: memberID, State: "notified", Notice: "将为您重播通知。"}
	err := s.answerTx(ctx, func(tx pgx.Tx) error {
		drawID, _, err := s.lockOpenMember(ctx, tx, memberID, "notified")
		if err != nil {
			return err
		}
		res.DrawID = drawID
		if err := s.enqueue(ctx, tx, memberID, KindRepeat); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Record{Actor: "gateway", Action: "member.repeat", Object: memberObject(memberID),
			Detail: map[string]any{"draw_id": drawID, "message_id": messageID}})
		if err != nil {
			return fmt.Errorf("audit member.repeat: %w", err)
		}
		return nil
	})
	if err != nil {
		return AnswerResult{}, err
	}
	return res, nil
}
