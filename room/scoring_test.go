package room_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

var sheet = room.ScoreSheet{
	Bidders: []room.Bidder{{Code: "B1", Name: "甲建设集团有限公司"}, {Code: "B2", Name: "乙建工有限公司"}},
	Criteria: []room.Criterion{{Code: "tech", Name: "技术标", Min: 0, Max: 60},
		{Code: "price", Name: "价格分", Min: 0, Max: 30}, {Code: "credit", Name: "信用分", Min: -5, Max: 10}},
}

func evaluator(id int64, ref string) room.Evaluator {
	return room.Evaluator{UserID: id, Actor: fmt.Sprintf("user:%d", id), SessionRef: ref}
}

// scoring returns a session with the sheet set, moved to phases.
func (e *env) scoring(t *testing.T, ref string, phases ...room.Phase) room.Session {
	t.Helper()
	s := e.session(t, ref)
	_, err := e.svc.SetScoreSheet(context.Background(), admin.ID, s.ID, sheet)
	require.NoError(t, err)
	return e.move(t, s.ID, phases...)
}

func (e *env) countScores(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.QueryRow(context.Background(), `SELECT count(*) FROM room.scores`).Scan(&n))
	return n
}

func TestScoreSheet(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "S1")
	got, err := e.svc.ScoreSheet(ctx, s.ID)
	require.NoError(t, err)
	require.Empty(t, got.Bidders)

	bad := []struct {
		name string
		sh   room.ScoreSheet
	}{
		{"no bidders", room.ScoreSheet{Criteria: sheet.Criteria}},
		{"no criteria", room.ScoreSheet{Bidders: sheet.Bidders}},
		{"bad code", room.ScoreSheet{Bidders: []room.Bidder{{Code: "../B1", Name: "x"}}, Criteria: sheet.Criteria}},
		{"duplicate bidder", room.ScoreSheet{Bidders: []room.Bidder{{Code: "B1", Name: "x"}, {Code: "B1", Name: "y"}}, Criteria: sheet.Criteria}},
		{"max not above min", room.ScoreSheet{Bidders: sheet.Bidders, Criteria: []room.Criterion{{Code: "c", Name: "c", Min: 5, Max: 5}}}},
		{"three decimals", room.ScoreSheet{Bidders: sheet.Bidders, Criteria: []room.Criterion{{Code: "c", Name: "c", Min: 0, Max: 1.005}}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.SetScoreSheet(ctx, admin.ID, s.ID, tc.sh)
			require.True(t, errors.Is(err, room.ErrInvalid), "%v", err)
		})
	}
	got, err = e.svc.SetScoreSheet(ctx, admin.ID, s.ID, sheet)
	require.NoError(t, err)
	require.Len(t, got.Bidders, 2)
	require.Equal(t, room.Criterion{Code: "credit", Name: "信用分", Min: -5, Max: 10}, got.Criteria[0])
	// Replaced before evaluation: only the new sheet remains.
	_, err = e.svc.SetScoreSheet(ctx, admin.ID, s.ID, room.ScoreSheet{Bidders: sheet.Bidders[:1], Criteria: sheet.Criteria[:1]})
	require.NoError(t, err)
	got, err = e.svc.ScoreSheet(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, got.Bidders, 1)
	require.Len(t, got.Criteria, 1)

	e.move(t, s.ID, room.PhaseSignin, room.PhaseEvaluating)
	_, err = e.svc.SetScoreSheet(ctx, admin.ID, s.ID, sheet)
	require.True(t, errors.Is(err, room.ErrPhase), "%v", err)
	_, err = e.db.Exec(ctx, `UPDATE room.criteria SET max_value = 100`)
	require.Error(t, err, "criteria are never updated")
}

func TestRecordScorePhases(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.scoring(t, "S1")
	ev := evaluator(11, "S1")
	in := room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 50}
	for _, p := range []room.Phase{"", room.PhaseSignin, room.PhaseEvaluating, room.PhasePaused, room.PhaseEvaluating, room.PhaseFinished} {
		if p != "" {
			e.move(t, s.ID, p)
		}
		_, err := e.svc.RecordScore(ctx, ev, s.ID, in)
		if p == room.PhaseEvaluating {
			require.NoError(t, err, "in %s", p)
			in.Criterion = "price" // the next score is a new one
			in.Value = 20
			continue
		}
		require.True(t, errors.Is(err, room.ErrPhase), "phase %q: %v", p, err)
	}
	require.Equal(t, 2, e.countScores(t))
}

func TestRecordScoreRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.scoring(t, "S1", room.PhaseSignin, room.PhaseEvaluating)
	ev := evaluator(11, "S1")
	first, err := e.svc.RecordScore(ctx, ev, s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 52.5, Comment: "方案完整"})
	require.NoError(t, err)
	require.Equal(t, testStart, first.RecordedAt, "stamped with the server's clock")

	cases := []struct {
		name string
		ev   room.Evaluator
		in   room.ScoreInput
		want error
	}{
		{"another session's evaluator", evaluator(12, "S2"), room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 1}, room.ErrForbidden},
		{"unknown bidder", ev, room.ScoreInput{Bidder: "B9", Criterion: "tech", Value: 1}, room.ErrInvalid},
		{"unknown criterion", ev, room.ScoreInput{Bidder: "B1", Criterion: "style", Value: 1}, room.ErrInvalid},
		{"above the maximum", ev, room.ScoreInput{Bidder: "B2", Criterion: "tech", Value: 60.01}, room.ErrInvalid},
		{"below the minimum", ev, room.ScoreInput{Bidder: "B2", Criterion: "credit", Value: -5.5}, room.ErrInvalid},
		{"three decimals", ev, room.ScoreInput{Bidder: "B2", Criterion: "tech", Value: 10.125}, room.ErrInvalid},
		{"scored already", ev, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 40}, room.ErrConflict},
		{"correction without reason", ev, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 40, Corrects: first.ID}, room.ErrInvalid},
		{"correction of another bidder", ev, room.ScoreInput{Bidder: "B2", Criterion: "tech", Value: 40, Comment: "x", Corrects: first.ID}, room.ErrInvalid},
		{"correction of another evaluator's record", evaluator(13, "S1"), room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 40, Comment: "x", Corrects: first.ID}, room.ErrInvalid},
		{"correction of no record", ev, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 40, Comment: "x", Corrects: 999}, room.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.RecordScore(ctx, tc.ev, s.ID, tc.in)
			require.True(t, errors.Is(err, tc.want), "%v", err)
			require.Equal(t, 1, e.countScores(t), "nothing stored")
		})
	}
	// Bounds are inclusive.
	_, err = e.svc.RecordScore(ctx, ev, s.ID, room.ScoreInput{Bidder: "B2", Criterion: "credit", Value: -5})
	require.NoError(t, err)
	_, err = e.svc.RecordScore(ctx, ev, s.ID, room.ScoreInput{Bidder: "B2", Criterion: "tech", Value: 60})
	require.NoError(t, err)
}

func TestCorrectionChain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.scoring(t, "S1", room.PhaseSignin, room.PhaseEvaluating)
	ev := evaluator(11, "S1")
	other := evaluator(12, "S1")
	r1, err := e.svc.RecordScore(ctx, ev, s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 52})
	require.NoError(t, err)
	_, err = e.svc.RecordScore(ctx, other, s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 48})
	require.NoError(t, err, "another evaluator scores the same bidder and criterion")
	e.clock.Advance(time.Minute)
	r2, err := e.svc.RecordScore(ctx, ev, s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 55, Comment: "漏看第3章", Corrects: r1.ID})
	require.NoError(t, err)
	_, err = e.svc.RecordScore(ctx, ev, s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 56, Comment: "再改", Corrects: r1.ID})
	require.True(t, errors.Is(err, room.ErrConflict), "only the latest record can be corrected: %v", err)
	e.clock.Advance(time.Minute)
	r3, err := e.svc.RecordScore(ctx, ev, s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 54.5, Comment: "复核", Corrects: r2.ID})
	require.NoError(t, err)

	for _, id := range []int64{r1.ID, r2.ID, r3.ID} {
		ch, err := e.svc.GetScore(ctx, id)
		require.NoError(t, err)
		require.Equal(t, id, ch.Record.ID)
		require.Len(t, ch.Chain, 3)
		require.Equal(t, []int64{r1.ID, r2.ID, r3.ID}, []int64{ch.Chain[0].ID, ch.Chain[1].ID, ch.Chain[2].ID})
		require.Equal(t, r3.ID, ch.Effective.ID)
		require.Equal(t, 54.5, ch.Effective.Value)
	}
	ch, _ := e.svc.GetScore(ctx, r1.ID)
	require.Equal(t, r2.ID, ch.Chain[0].CorrectedBy)
	require.False(t, ch.Chain[0].Effective)
	require.Equal(t, r1.ID, ch.Chain[1].Corrects)

	mine, err := e.svc.ListScores(ctx, s.ID, room.ScoreFilter{EvaluatorUserID: ev.UserID})
	require.NoError(t, err)
	require.Len(t, mine, 3)
	eff, err := e.svc.ListScores(ctx, s.ID, room.ScoreFilter{EffectiveOnly: true})
	require.NoError(t, err)
	require.Len(t, eff, 2)
	require.Equal(t, []float64{48, 54.5}, []float64{eff[0].Value, eff[1].Value})
	_, err = e.svc.GetScore(ctx, 999)
	require.True(t, errors.Is(err, room.ErrNotFound))

	require.Equal(t, []string{"session.create", "session.add_room", "session.add_room", "scoring.sheet", "session.phase", "session.phase",
		"score.record", "score.record", "score.correct", "score.correct"}, e.actions(t, "session:"+fmt.Sprint(s.ID)))
}

// TestScoresAppendOnlyInTheDatabase: whatever a client sends straight to
// PostgreSQL, a record is never changed or removed, and the rules of a
// record hold.
func TestScoresAppendOnlyInTheDatabase(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.scoring(t, "S1", room.PhaseSignin, room.PhaseEvaluating)
	r1, err := e.svc.RecordScore(ctx, evaluator(11, "S1"), s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 52})
	require.NoError(t, err)
	r2, err := e.svc.RecordScore(ctx, evaluator(11, "S1"), s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 50, Comment: "更正", Corrects: r1.ID})
	require.NoError(t, err)

	insert := `INSERT INTO room.scores (session_id, evaluator_user_id, actor, bidder, criterion, value, comment, corrects, recorded_at)
		VALUES ($1, $2, 'user:x', $3, $4, $5, $6, $7, now())`
	cases := []struct {
		name string
		sql  string
		args []any
	}{
		{"update a value", `UPDATE room.scores SET value = 60 WHERE id = $1`, []any{r1.ID}},
		{"update nothing", `UPDATE room.scores SET comment = '' WHERE false`, nil},
		{"delete a record", `DELETE FROM room.scores WHERE id = $1`, []any{r2.ID}},
		{"truncate", `TRUNCATE room.scores`, nil},
		{"value above the bound", insert, []any{s.ID, 12, "B2", "tech", 61, "", nil}},
		{"unknown bidder", insert, []any{s.ID, 12, "B9", "tech", 1, "", nil}},
		{"second original", insert, []any{s.ID, 11, "B1", "tech", 1, "", nil}},
		{"second correction of one record", insert, []any{s.ID, 11, "B1", "tech", 1, "x", r1.ID}},
		{"correction of another criterion", insert, []any{s.ID, 11, "B1", "price", 1, "x", r2.ID}},
		{"correction by another evaluator", insert, []any{s.ID, 12, "B1", "tech", 1, "x", r2.ID}},
		{"correction without reason", insert, []any{s.ID, 11, "B1", "tech", 1, "", r2.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.db.Exec(ctx, tc.sql, tc.args...)
			require.Error(t, err)
		})
	}
	e.move(t, s.ID, room.PhasePaused)
	_, err = e.db.Exec(ctx, insert, s.ID, 12, "B2", "tech", 1, "", nil)
	require.Error(t, err, "no score while paused, even by direct SQL")

	ch, err := e.svc.GetScore(ctx, r1.ID)
	require.NoError(t, err)
	require.Len(t, ch.Chain, 2)
	require.Equal(t, 52.0, ch.Chain[0].Value)
	require.Equal(t, 50.0, ch.Effective.Value)
}

// archive is an in-memory archive index: segments per room.
type archive struct{ segs map[int64][]room.Position }

// seg is a 10 s segment of room starting at start.
func (a *archive) add(roomID int64, recorder string, start time.Time) {
	a.segs[roomID] = append(a.segs[roomID], room.Position{RecorderID: recorder, Segment: fmt.Sprintf("sha256-%s-%d", recorder, start.Unix()), SegmentStart: start})
}

func (a *archive) Locate(_ context.Context, roomID int64, at time.Time) (room.Position, error) {
	for _, p := range a.segs[roomID] {
		if !at.Before(p.SegmentStart) && at.Before(p.SegmentStart.Add(10*time.Second)) {
			p.Offset = at.Sub(p.SegmentStart)
			return p, nil
		}
	}
	return room.Position{}, fmt.Errorf("room %d at %s: %w", roomID, at, room.ErrNotFound)
}

func TestPlayback(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.scoring(t, "S1", room.PhaseSignin, room.PhaseEvaluating)
	e.clock.Advance(3*time.Second + 250*time.Millisecond)
	rec, err := e.svc.RecordScore(ctx, evaluator(11, "S1"), s.ID, room.ScoreInput{Bidder: "B1", Criterion: "tech", Value: 52})
	require.NoError(t, err)

	_, err = e.svc.Playback(ctx, rec.ID, nil)
	require.True(t, errors.Is(err, room.ErrUnavailable))

	a := &archive{segs: map[int64][]room.Position{}}
	a.add(s.Rooms[0].ID, "edge-nj", testStart.Add(-10*time.Second))
	a.add(s.Rooms[0].ID, "edge-nj", testStart)
	a.add(s.Rooms[1].ID, "edge-hf", testStart.Add(10*time.Second)) // the remote room's recording starts later
	pb, err := e.svc.Playback(ctx, rec.ID, a)
	require.NoError(t, err)
	require.True(t, pb.At.Equal(testStart.Add(3250*time.Millisecond)))
	require.Len(t, pb.Rooms, 2)
	require.Equal(t, s.Rooms[0].ID, pb.Rooms[0].RoomID)
	require.NotNil(t, pb.Rooms[0].Position)
	require.Equal(t, 3250*time.Millisecond, pb.Rooms[0].Position.Offset)
	require.True(t, pb.Rooms[0].Position.SegmentStart.Equal(testStart))
	require.Nil(t, pb.Rooms[1].Position)
	require.Contains(t, pb.Rooms[1].Missing, "没有")

	_, err = e.svc.Playback(ctx, 999, a)
	require.True(t, errors.Is(err, room.ErrNotFound))
}
