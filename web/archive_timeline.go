package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/gin-gonic/gin"
)

// timelineLane is one room of a session's archive timeline.
type timelineLane struct {
	archiveRoom
	// Recorders and Streams are those of the room's segments.
	Recorders []string                  `json:"recorders"`
	Streams   []string                  `json:"streams"`
	Segments  []archive.TimelineSegment `json:"segments"`
	Gaps      []archive.TimelineGap     `json:"gaps"`
}

// timelineScore is a scoring record placed on the timeline.
type timelineScore struct {
	ID int64 `json:"id"`
	// At is the server's UTC stamp of the record: the instant its
	// playback shows.
	At time.Time `json:"at"`
	// Evaluator is the evaluator's display name (their audit name when
	// the account is gone); Actor the audit name.
	Evaluator     string  `json:"evaluator"`
	Actor         string  `json:"actor"`
	Bidder        string  `json:"bidder"`
	BidderName    string  `json:"bidder_name"`
	Criterion     string  `json:"criterion"`
	CriterionName string  `json:"criterion_name"`
	Value         float64 `json:"value"`
	Comment       string  `json:"comment,omitempty"`
	Corrects      int64   `json:"corrects,omitempty"`
	Effective     bool    `json:"effective"`
}

// timelinePhase is a phase change of the session, from the audit log.
type timelinePhase struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
}

// timelineResponse is a session's archive timeline: the session, its
// rooms as lanes of segments and gaps, its scoring records and its
// phase changes, on one UTC clock.
type timelineResponse struct {
	Session archiveSession `json:"session"`
	// From and To are the span the archive selected; Start and End bound
	// the segments found (absent when none).
	From   time.Time       `json:"from"`
	To     time.Time       `json:"to"`
	Start  *time.Time      `json:"start,omitempty"`
	End    *time.Time      `json:"end,omitempty"`
	Rooms  []timelineLane  `json:"rooms"`
	Scores []timelineScore `json:"scores"`
	Phases []timelinePhase `json:"phases"`
}

// archiveTimeline answers a session's archive timeline; the view is
// audited (archive.timeline).
func (s *Server) archiveTimeline(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	sess, err := s.p.Sessions.GetSession(ctx, id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	tl, err := s.p.ArchiveCatalog.Timeline(ctx, me(c).Actor(), sess)
	if err != nil {
		s.writeError(c, err)
		return
	}
	resp := timelineResponse{Session: archiveSession{ID: sess.ID, Ref: sess.Ref, ProjectCode: sess.ProjectCode,
		ProjectName: sess.ProjectName, StartsAt: sess.StartsAt, EndsAt: sess.EndsAt, Phase: sess.Phase, MainVenue: sess.MainVenue,
		RemoteVenues: sess.RemoteVenues, Rooms: archiveRooms(sess)},
		From: tl.From, To: tl.To, Start: tl.Start, End: tl.End, Rooms: []timelineLane{}}
	lanes := map[int64]archive.Lane{}
	for _, l := range tl.Rooms {
		lanes[l.Room] = l
	}
	for _, r := range resp.Session.Rooms {
		l := lanes[r.ID]
		resp.Rooms = append(resp.Rooms, timelineLane{archiveRoom: r, Recorders: orEmpty(l.Recorders), Streams: orEmpty(l.Streams),
			Segments: orEmpty(l.Segments), Gaps: orEmpty(l.Gaps)})
	}
	if resp.Scores, err = s.timelineScores(ctx, sess.ID); err != nil {
		s.writeError(c, err)
		return
	}
	if resp.Phases, err = s.timelinePhases(ctx, sess.ID); err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, resp)
}

// orEmpty returns list, or an empty list for nil (JSON [] rather than
// null).
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// timelineScores lists the session's scoring records with the names of
// their evaluators, bidders and criteria.
func (s *Server) timelineScores(ctx context.Context, sessionID int64) ([]timelineScore, error) {
	recs, err := s.p.Sessions.ListScores(ctx, sessionID, room.ScoreFilter{})
	if err != nil {
		return nil, err
	}
	sheet, err := s.p.Sessions.ScoreSheet(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	bidders, criteria := map[string]string{}, map[string]string{}
	for _, b := range sheet.Bidders {
		bidders[b.Code] = b.Name
	}
	for _, cr := range sheet.Criteria {
		criteria[cr.Code] = cr.Name
	}
	names := map[int64]string{}
	out := make([]timelineScore, 0, len(recs))
	for _, r := range recs {
		name, ok := names[r.EvaluatorUserID]
		if !ok {
			name = r.Actor
			if u, err := s.p.Auth.GetUser(ctx, r.EvaluatorUserID); err == nil && u.DisplayName != "" {
				name = u.DisplayName
			}
			names[r.EvaluatorUserID] = name
		}
		out = append(out, timelineScore{ID: r.ID, At: r.RecordedAt, Evaluator: name, Actor: r.Actor,
			Bidder: r.Bidder, BidderName: bidders[r.Bidder], Criterion: r.Criterion, CriterionName: criteria[r.Criterion],
			Value: r.Value, Comment: r.Comment, Corrects: r.Corrects, Effective: r.Effective})
	}
	return out, nil
}

// timelinePhases lists the session's phase changes from the audit log.
func (s *Server) timelinePhases(ctx context.Context, sessionID int64) ([]timelinePhase, error) {
	entries, err := s.p.Audit.List(ctx, audit.Filter{Object: "session:" + strconv.FormatInt(sessionID, 10), Action: "session.phase"})
	if err != nil {
		return nil, err
	}
	out := make([]timelinePhase, 0, len(entries))
	for _, e := range entries {
		var d struct {
			From, To, Reason string
		}
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			s.log.WarnContext(ctx, "phase change with unreadable detail", "seq", e.Seq, "err", err)
			continue
		}
		out = append(out, timelinePhase{At: e.At.UTC(), From: d.From, To: d.To,
			Actor: e.Actor, Reason: d.Reason})
	}
	return out, nil
}
