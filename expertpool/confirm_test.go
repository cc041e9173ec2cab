package expertpool_test

import (
	"context"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/stretchr/testify/require"
)

func memberAuditActions(t *testing.T, e *env, object string) []string {
	t.Helper()
	entries, err := e.audit.List(context.Background(), audit.Filter{Object: object})
	require.NoError(t, err)
	var out []string
	for _, en := range entries {
		out = append(out, en.Action)
	}
	return out
}

func TestAnswerAcceptConfirmsOnce(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 3)
	ctx := context.Background()
	m := f.Members[0]

	res, err := e.svc.RecordPhoneAnswer(ctx, "user:7", m, true, "")
	require.NoError(t, err)
	require.Equal(t, "confirmed", res.State)
	require.Equal(t, f.DrawID, res.DrawID)
	require.Equal(t, "confirmed", memberState(t, e, m))
	require.True(t, hasBooking(t, e, m), "a confirmed member keeps the booking")
	require.Equal(t, []string{"invite", "confirmed"}, outboxKinds(t, e, m))
	require.Equal(t, []string{"member.confirm"}, memberAuditActions(t, e, "member:"+itoa(m)))

	_, err = e.svc.RecordPhoneAnswer(ctx, "user:7", m, false, "临时有事")
	require.ErrorIs(t, err, expertpool.ErrAnswerClosed, "an answered invitation cannot be answered again")
	require.Contains(t, err.Error(), "无需再答复")
	require.Equal(t, "confirmed", memberState(t, e, m))
}

func TestAnswerRejectsBadInputAndChangesNothing(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 1)
	m := f.Members[0]
	cases := []struct {
		name string
		in   expertpool.AnswerInput
		want error
	}{
		{"decline without reason by phone", expertpool.AnswerInput{MemberID: m, Channel: "phone", Actor: "user:7"}, expertpool.ErrInvalid},
		{"decline without reason by link", expertpool.AnswerInput{MemberID: m, Channel: "link", Actor: "expert-link", Reason: "  "}, expertpool.ErrInvalid},
		{"unknown channel", expertpool.AnswerInput{MemberID: m, Accept: true, Channel: "fax", Actor: "user:7"}, expertpool.ErrInvalid},
		{"no actor", expertpool.AnswerInput{MemberID: m, Accept: true, Channel: "staff"}, expertpool.ErrInvalid},
		{"unknown member", expertpool.AnswerInput{MemberID: 999999, Accept: true, Channel: "staff", Actor: "user:7"}, expertpool.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.Answer(context.Background(), tc.in)
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, "notified", memberState(t, e, m))
			require.Equal(t, []string{"invite"}, outboxKinds(t, e, m))
		})
	}
}

func TestLateAnswerIsRefusedPolitely(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 1)
	e.clock.Set(f.Deadline.Add(time.Second))
	_, err := e.svc.Answer(context.Background(), expertpool.AnswerInput{MemberID: f.Members[0], Accept: true, Channel: "gateway", Actor: "gateway"})
	require.ErrorIs(t, err, expertpool.ErrAnswerClosed)
	require.Contains(t, err.Error(), "感谢您的支持")
	require.Equal(t, "notified", memberState(t, e, f.Members[0]))
}

func TestDeclineReleasesAndDrawsReplacement(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 3)
	ctx := context.Background()
	m := f.Members[1]
	res, err := e.svc.Answer(ctx, expertpool.AnswerInput{MemberID: m, Channel: "link", Actor: "expert-link", Reason: "出差在外"})
	require.NoError(t, err)
	require.Equal(t, "declined", res.State)
	require.Equal(t, "declined", memberState(t, e, m))
	require.False(t, hasBooking(t, e, m), "the booking is released")
	require.NotZero(t, res.ReplacementID, "a replacement is drawn")
	require.Equal(t, "notified", memberState(t, e, res.ReplacementID))
	require.Equal(t, []string{"invite"}, outboxKinds(t, e, res.ReplacementID), "the replacement is notified")
	require.Contains(t, memberAuditActions(t, e, "member:"+itoa(m)), "member.decline")
}

func TestExpireDeadlinesReleasesAndReplaces(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 2)
	ctx := context.Background()
	_, err := e.svc.RecordPhoneAnswer(ctx, "user:7", f.Members[0], true, "")
	require.NoError(t, err)

	n, err := e.svc.ExpireDeadlines(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing expires before the deadline")

	e.clock.Set(f.Deadline.Add(time.Minute))
	n, err = e.svc.ExpireDeadlines(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, "confirmed", memberState(t, e, f.Members[0]), "a confirmed member is kept")
	require.Equal(t, "no_answer", memberState(t, e, f.Members[1]))
	require.False(t, hasBooking(t, e, f.Members[1]))
	require.Equal(t, []string{"invite", "released"}, outboxKinds(t, e, f.Members[1]))
	require.Contains(t, memberAuditActions(t, e, "member:"+itoa(f.Members[1])), "member.no_answer")

	_, err = e.svc.Answer(ctx, expertpool.AnswerInput{MemberID: f.Members[1], Accept: true, Channel: "gateway", Actor: "gateway"})
	require.ErrorIs(t, err, expertpool.ErrAnswerClosed, "an answer after release is refused")
}

func TestMarkRecusedOnSite(t *testing.T) {
	e := newEnv(t, nil)
	f := seedNotifyDraw(t, e, 2)
	ctx := context.Background()
	_, err := e.svc.MarkRecusedOnSite(ctx, "user:7", f.Members[0], "")
	require.ErrorIs(t, err, expertpool.ErrInvalid, "a reason is required")
	_, err = e.svc.RecordPhoneAnswer(ctx, "user:7", f.Members[0], true, "")
	require.NoError(t, err)
	res, err := e.svc.MarkRecusedOnSite(ctx, "user:7", f.Members[0], "现场发现与投标人存在利害关系")
	require.NoError(t, err)
	require.Equal(t, "recused", memberState(t, e, f.Members[0]))
	require.False(t, hasBooking(t, e, f.Members[0]))
	require.NotZero(t, res.ReplacementID)
	require.Contains(t, memberAuditActions(t, e, "member:"+itoa(f.Members[0])), "member.recuse")
}
