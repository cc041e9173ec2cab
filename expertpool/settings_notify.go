package expertpool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
)

// TestMessageText is the text of the test message an administrator sends
// to check the notification channel.
const TestMessageText = "【远程异地评标】这是一条测试短信，用于检查专家通知通道是否畅通，无需回复。"

// SendTestMessage sends one test message straight through p (not through
// the outbox: it is never retried) to mobile, on behalf of actor, and
// audits it ("notify.test", with the number masked and the outcome). It
// returns ErrInvalid (errtext.FieldOf "mobile") for a bad number, and the
// provider's error, wrapped, when the provider refused the message.
func (s *Service) SendTestMessage(ctx context.Context, actor string, p notify.Provider, mobile string) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	mobile = strings.TrimSpace(mobile)
	if !mobileRE.MatchString(mobile) {
		return errtext.Field(fmt.Errorf("%w: 手机号须为 11 位，以 1 开头", ErrInvalid), "mobile")
	}
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("test message id: %w", err)
	}
	id := "test:" + hex.EncodeToString(nonce)
	sendErr := p.Send(ctx, notify.Message{ID: id, To: mobile, Text: TestMessageText, Kind: "test"})
	detail := map[string]any{"message_id": id, "mobile_masked": notify.MaskMobile(mobile), "delivered": sendErr == nil}
	if sendErr != nil {
		detail["error"] = sendErr.Error()
	}
	if err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		_, err := s.audit.Append(ctx, tx, audit.Record{Actor: actor, Action: "notify.test", Object: "settings:notify", Detail: detail})
		return err
	}); err != nil {
		return fmt.Errorf("test message: audit: %w", err)
	}
	if sendErr != nil {
		return fmt.Errorf("test message %s: %w", id, sendErr)
	}
	return nil
}
