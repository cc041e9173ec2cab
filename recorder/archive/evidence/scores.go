package evidence

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// scoreRecord is what Verify reads of a scoring record in scores.json: a
// JSON array of records as the API returns them (GET
// /api/sessions/{id}/scores).
type scoreRecord struct {
	ID         int64     `json:"id"`
	SessionID  int64     `json:"session_id"`
	Actor      string    `json:"actor"`
	Bidder     string    `json:"bidder"`
	Criterion  string    `json:"criterion"`
	Value      float64   `json:"value"`
	Corrects   int64     `json:"corrects"`
	RecordedAt time.Time `json:"recorded_at"`
}

// scoreDetail is what an audit entry "score.record" or "score.correct"
// says of the record.
type scoreDetail struct {
	ScoreID    int64     `json:"score_id"`
	Bidder     string    `json:"bidder"`
	Criterion  string    `json:"criterion"`
	Value      float64   `json:"value"`
	Corrects   int64     `json:"corrects"`
	RecordedAt time.Time `json:"recorded_at"`
}

// ScoresReport is the outcome of matching scores.json with the audit
// entries.
type ScoresReport struct {
	// Present tells whether the export holds scores.json.
	Present bool `json:"present"`
	// Records counts the scoring records, Matched those whose audit entry
	// (same actor, session, bidder, criterion, value, correction and
	// time) is in audit.jsonl.
	Records int `json:"records"`
	Matched int `json:"matched"`
	// First is the first record without its audit entry.
	First *Break `json:"first_broken,omitempty"`
}

// checkScores matches every record of data with its audit entry among
// lines. The audit entries' own integrity is checkAudit's.
func checkScores(data []byte, lines []AuditLine) ScoresReport {
	rep := ScoresReport{Present: true}
	var recs []scoreRecord
	if err := json.Unmarshal(data, &recs); err != nil {
		rep.First = NewBreak(KindScoreUnaudited, ScoresName, fmt.Sprintf("无法解析 (cannot parse): %v", err))
		return rep
	}
	type audited struct {
		d      scoreDetail
		actor  string
		object string
	}
	byID := map[int64]audited{}
	for _, l := range lines {
		if l.Action != "score.record" && l.Action != "score.correct" {
			continue
		}
		var d scoreDetail
		if json.Unmarshal(l.Detail, &d) == nil && d.ScoreID > 0 {
			byID[d.ScoreID] = audited{d: d, actor: l.Actor, object: l.Object}
		}
	}
	for _, r := range recs {
		rep.Records++
		a, ok := byID[r.ID]
		name := ScoresName + ":" + strconv.FormatInt(r.ID, 10)
		switch {
		case !ok:
			rep.noteFirst(NewBreak(KindScoreUnaudited, name, fmt.Sprintf("评分记录 %d 没有对应的审计记录 (no audit entry for scoring record %d)", r.ID, r.ID)))
		case a.actor != r.Actor || a.object != "session:"+strconv.FormatInt(r.SessionID, 10) ||
			a.d.Bidder != r.Bidder || a.d.Criterion != r.Criterion || a.d.Value != r.Value ||
			a.d.Corrects != r.Corrects || !a.d.RecordedAt.Equal(r.RecordedAt):
			rep.noteFirst(NewBreak(KindScoreUnaudited, name, fmt.Sprintf(
				"评分记录 %d 与审计记录不一致：记录 %s/%s=%v，审计 %s/%s=%v (scoring record %d differs from its audit entry)",
				r.ID, r.Bidder, r.Criterion, r.Value, a.d.Bidder, a.d.Criterion, a.d.Value, r.ID)))
		default:
			rep.Matched++
		}
	}
	return rep
}

func (r *ScoresReport) noteFirst(b *Break) {
	if r.First == nil {
		r.First = b
	}
}
