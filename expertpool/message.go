package expertpool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/jackc/pgx/v5"
)

// beijing is China Standard Time (UTC+8, no daylight saving), fixed so the
// binary needs no time zone database.
var beijing = time.FixedZone("北京时间", 8*3600)

// cnTime formats t in Beijing time: "2026年11月25日 09:00".
func cnTime(t time.Time) string { return t.In(beijing).Format("2006年1月2日 15:04") }

// cnSpan formats a session's time span, naming the day once when it
// starts and ends on the same day.
func cnSpan(from, to time.Time) string {
	f, e := from.In(beijing), to.In(beijing)
	if f.Year() == e.Year() && f.YearDay() == e.YearDay() {
		return cnTime(f) + "至" + e.Format("15:04")
	}
	return cnTime(f) + "至" + cnTime(e)
}

// rowQuerier is what pgx.Tx and *pgxpool.Pool share for reading a row.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// memberView is what a message or the confirmation page tells a member:
// the session's time and venue, the deadline and the member's state. It
// holds nothing about the project's parties.
type memberView struct {
	MemberID     int64
	DrawID       int64
	roundID      int64
	position     int
	State        string
	Deadline     *time.Time
	StartsAt     time.Time
	EndsAt       time.Time
	VenueName    string
	VenueAddress string
	expertSealed []byte
}

func (s *Service) loadMemberView(ctx context.Context, q rowQuerier, memberID int64) (memberView, error) {
	var v memberView
	err := q.QueryRow(ctx, `SELECT m.id, m.draw_id, m.round_id, m.position, m.state, m.deadline, m.expert_sealed, d.starts_at, d.ends_at, v.name, v.address
		FROM expertpool.members m
		JOIN expertpool.draws d ON d.id = m.draw_id
		JOIN expertpool.quotas q ON q.id = m.quota_id
		JOIN expertpool.draw_venues v ON v.draw_id = q.draw_id AND v.venue_code = q.venue_code
		WHERE m.id = $1`, memberID).Scan(&v.MemberID, &v.DrawID, &v.roundID, &v.position, &v.State, &v.Deadline, &v.expertSealed,
		&v.StartsAt, &v.EndsAt, &v.VenueName, &v.VenueAddress)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, fmt.Errorf("member %d: %w", memberID, ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("member %d: %w", memberID, err)
	}
	return v, nil
}

// memberMobile unseals the member's expert id and reads the expert's
// mobile number.
func (s *Service) memberMobile(ctx context.Context, q rowQuerier, v memberView) (string, error) {
	expertID, err := s.openMember(v.DrawID, v.roundID, v.position, v.expertSealed)
	if err != nil {
		return "", fmt.Errorf("member %d: %w", v.MemberID, err)
	}
	var mobile string
	if err := q.QueryRow(ctx, `SELECT mobile FROM expertpool.experts WHERE id = $1`, expertID).Scan(&mobile); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("member %d: expert: %w", v.MemberID, ErrNotFound)
		}
		return "", fmt.Errorf("member %d: expert: %w", v.MemberID, err)
	}
	return mobile, nil
}

// expectsAnswer reports whether a message of kind asks for a keypress.
func expectsAnswer(kind string) bool { return kind == KindInvite || kind == KindRepeat }

// renderText returns the Chinese text of a message of kind to the member
// v, with link to the confirmation page for an invitation. It names the
// session's time, venue and address and the deadline, never the project
// or its parties.
func renderText(kind string, v memberView, link string) (string, error) {
	var b strings.Builder
	venue := v.VenueName
	if v.VenueAddress != "" {
		venue += "（地址：" + v.VenueAddress + "）"
	}
	span := cnSpan(v.StartsAt, v.EndsAt)
	switch kind {
	case KindInvite, KindRepeat:
		if kind == KindRepeat {
			b.WriteString("（重播）")
		}
		b.WriteString("【评标专家通知】您好！您已被随机抽取为评标专家。评标时间：")
		b.WriteString(span)
		b.WriteString("（北京时间）；评标地点：")
		b.WriteString(venue)
		b.WriteString("。")
		if v.Deadline != nil {
			b.WriteString("请于" + cnTime(*v.Deadline) + "前答复，")
		} else {
			b.WriteString("请尽快答复，")
		}
		b.WriteString("按1确认参加，按2拒绝，按3重听。")
		if link != "" {
			b.WriteString("也可打开确认链接答复：" + link + " 。")
		}
		b.WriteString("请勿向他人透露本次抽取信息。")
	case KindConfirmed:
		b.WriteString("【评标专家通知】您已确认参加" + span + "（北京时间）在" + venue + "举行的评标，请提前到场签到。感谢您的支持！")
	case KindReleased:
		if v.Deadline != nil {
			b.WriteString("【评标专家通知】由于未在" + cnTime(*v.Deadline) + "前收到您的答复，")
		} else {
			b.WriteString("【评标专家通知】由于未按时收到您的答复，")
		}
		b.WriteString("本次评标邀请已失效，无需再答复。感谢您的支持！")
	case KindCancelled:
		b.WriteString("【评标专家通知】原定于" + span + "（北京时间）在" + v.VenueName + "举行的评标已取消，无需前往。感谢您的支持！")
	default:
		return "", fmt.Errorf("%w: unknown message kind %q", ErrInvalid, kind)
	}
	return b.String(), nil
}

// PreviewMessage returns the message a member would receive for kind, as
// staff may check it: the mobile number is masked and the link is a
// placeholder. It fails with ErrNotFound for an unknown member.
func (s *Service) PreviewMessage(ctx context.Context, memberID int64, kind string) (notify.Message, error) {
	v, err := s.loadMemberView(ctx, s.db, memberID)
	if err != nil {
		return notify.Message{}, err
	}
	mobile, err := s.memberMobile(ctx, s.db, v)
	if err != nil {
		return notify.Message{}, err
	}
	link := ""
	if expectsAnswer(kind) {
		link = "https://…/confirm?t=…"
	}
	text, err := renderText(kind, v, link)
	if err != nil {
		return notify.Message{}, err
	}
	return notify.Message{ID: "preview", To: notify.MaskMobile(mobile), Text: text, Link: link, Kind: kind, Meta: messageMeta(kind)}, nil
}

func messageMeta(kind string) map[string]string {
	m := map[string]string{"kind": kind}
	if expectsAnswer(kind) {
		m["keys"] = "123"
	}
	return m
}
