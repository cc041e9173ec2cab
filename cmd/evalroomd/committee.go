package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/evalroom/evalroom/room"
)

// poolCommittee is the expert pool seen as a session's committee: it
// adapts *expertpool.Service to room.Committee and turns the pool's
// sentinel errors into room's, keeping their Chinese detail.
type poolCommittee struct{ pool *expertpool.Service }

var _ room.Committee = poolCommittee{}

// Members reveals the venue's members of the draw (audited by the pool).
func (c poolCommittee) Members(ctx context.Context, actor string, drawID int64, venue string) ([]room.Member, error) {
	list, err := c.pool.RevealMembers(ctx, actor, drawID, venue)
	if err != nil {
		return nil, committeeError(err)
	}
	out := make([]room.Member, 0, len(list))
	for _, m := range list {
		out = append(out, room.Member{MemberID: m.MemberID, VenueCode: m.VenueCode, Name: m.Name, IDNumberMasked: m.IDNumberMasked,
			State: m.State, SeatReady: m.SeatReady, Replacement: m.Replacement})
	}
	return out, nil
}

// CheckIdentity compares the last digits of the member's sealed identity
// number.
func (c poolCommittee) CheckIdentity(ctx context.Context, memberID int64, idSuffix string) (bool, error) {
	ok, err := c.pool.CheckIDSuffix(ctx, memberID, idSuffix)
	if err != nil {
		return false, committeeError(err)
	}
	return ok, nil
}

// RecuseOnSite marks the member recused and draws a replacement.
func (c poolCommittee) RecuseOnSite(ctx context.Context, actor string, memberID int64, reason string) (room.Replacement, error) {
	res, err := c.pool.MarkRecusedOnSite(ctx, actor, memberID, reason)
	if err != nil {
		return room.Replacement{}, committeeError(err)
	}
	return room.Replacement{MemberID: res.ReplacementID, Notice: res.Notice}, nil
}

// committeeErrors maps the pool's sentinels to room's, with the message
// shown when the pool's error carries no Chinese detail.
var committeeErrors = []struct {
	from, to error
	message  string
}{
	{expertpool.ErrSealed, room.ErrPhase, "名单尚未到签到时间，仍处于密封状态"},
	{expertpool.ErrAnswerClosed, room.ErrConflict, "该专家已不在评标委员会中"},
	{expertpool.ErrNotFound, room.ErrNotFound, "未找到该专家或抽取记录"},
	{expertpool.ErrInvalid, room.ErrInvalid, "输入无效"},
	{expertpool.ErrConflict, room.ErrConflict, "与已有数据冲突"},
}

// committeeError returns err as a room error; errors that are no pool
// sentinel (a lost database connection) pass through.
func committeeError(err error) error {
	for _, m := range committeeErrors {
		if errors.Is(err, m.from) {
			msg := m.message
			if d := errtext.After(err, m.from); d != "" {
				msg = d
			}
			return fmt.Errorf("%w: %s", m.to, msg)
		}
	}
	return err
}
