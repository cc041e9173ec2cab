package web

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// ArchiveCatalog is what the archive pages read of the central archive
// and of a session's committee; cmd adapts the archive, room and the
// expert pool (features do not import each other). Each method audits
// the view in actor's name. Errors are room's sentinels.
type ArchiveCatalog interface {
	// Summaries returns the archive summary of each session (in the same
	// order) and audits the search ("archive.search") with its query.
	Summaries(ctx context.Context, actor string, query map[string]string, sessions []room.Session) ([]archive.SessionSummary, error)
	// Timeline returns the session's segments and gaps per room and
	// audits the view ("archive.timeline").
	Timeline(ctx context.Context, actor string, sess room.Session) (archive.Timeline, error)
	// CommitteeNames returns the names of the experts who sat on the
	// session's committee (confirmed, recused on site or signed in);
	// none while the committee is sealed. The expert pool audits the
	// disclosure.
	CommitteeNames(ctx context.Context, actor string, sess room.Session) ([]string, error)
}

// archiveReaders may search the archive and read a session's timeline.
var archiveReaders = []auth.Role{auth.RoleAdmin, auth.RoleArchivist, auth.RoleSupervisor}

// maxArchiveResults caps the sessions one search answers.
const maxArchiveResults = 200

// errNoCatalog answers when the server was built without ArchiveCatalog.
var errNoCatalog = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "录像档案检索未启用"}

// archiveCatalogRoutes registers the archive search and timeline.
func (s *Server) archiveCatalogRoutes(in *gin.RouterGroup) {
	g := in.Group("", s.needSessions, s.needCatalog)
	g.GET("/archive/sessions", s.requireRole(archiveReaders...), s.searchArchive)
	g.GET("/sessions/:id/archive/timeline", s.requireRole(archiveReaders...), s.archiveTimeline)
}

// needCatalog answers 503 when no ArchiveCatalog was configured.
func (s *Server) needCatalog(c *gin.Context) {
	if s.p.ArchiveCatalog == nil {
		s.writeError(c, errNoCatalog)
	}
}

// archiveQuery is a search of the archive; empty fields match anything.
type archiveQuery struct {
	// Q matches the session reference, the project code or name.
	Q string
	// Project matches the project code or name.
	Project string
	// From and To bound the session's start date (Beijing time, both
	// days included); zero when not given.
	From, To time.Time
	// Room matches a room's name or venue code.
	Room string
	// Expert matches the name of a committee member.
	Expert string
}

// archiveQueryFields are the text fields of a search and their labels.
var archiveQueryFields = []struct{ name, label string }{
	{"q", "关键词"}, {"project", "项目"}, {"room", "评标室"}, {"expert", "专家姓名"},
}

// parseArchiveQuery reads and checks a search; a bad field fails with
// a Chinese message naming it.
func parseArchiveQuery(c *gin.Context) (archiveQuery, map[string]string, error) {
	raw := map[string]string{}
	text := map[string]string{}
	for _, f := range archiveQueryFields {
		v := strings.TrimSpace(c.Query(f.name))
		if utf8.RuneCountInString(v) > 64 {
			return archiveQuery{}, nil, fieldInvalid(f.name, f.label+"不能超过64个字")
		}
		text[f.name] = v
		if v != "" {
			raw[f.name] = v
		}
	}
	q := archiveQuery{Q: text["q"], Project: text["project"], Room: text["room"], Expert: text["expert"]}
	var err error
	if q.From, err = parseDay(c, "date_from", "开始日期"); err != nil {
		return archiveQuery{}, nil, err
	}
	if q.To, err = parseDay(c, "date_to", "结束日期"); err != nil {
		return archiveQuery{}, nil, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return archiveQuery{}, nil, fieldInvalid("date_to", "结束日期不能早于开始日期")
	}
	for _, name := range []string{"date_from", "date_to"} {
		if v := strings.TrimSpace(c.Query(name)); v != "" {
			raw[name] = v
		}
	}
	return q, raw, nil
}

// parseDay reads an optional date (YYYY-MM-DD, Beijing time).
func parseDay(c *gin.Context, name, label string) (time.Time, error) {
	v := strings.TrimSpace(c.Query(name))
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, beijing)
	if err != nil {
		return time.Time{}, fieldInvalid(name, label+"格式应为 年-月-日，例如 2026-03-14")
	}
	return d, nil
}

// matches reports whether the session passes every filter but the
// expert's.
func (q archiveQuery) matches(sess room.Session) bool {
	day := sess.StartsAt.In(beijing)
	switch {
	case q.Q != "" && !containsFold(q.Q, sess.Ref, sess.ProjectCode, sess.ProjectName):
		return false
	case q.Project != "" && !containsFold(q.Project, sess.ProjectCode, sess.ProjectName):
		return false
	case !q.From.IsZero() && day.Before(q.From):
		return false
	case !q.To.IsZero() && !day.Before(q.To.AddDate(0, 0, 1)):
		return false
	case q.Room != "":
		for _, r := range sess.Rooms {
			if containsFold(q.Room, r.Name, r.VenueCode) {
				return true
			}
		}
		return false
	}
	return true
}

// containsFold reports whether any of texts contains needle, ignoring
// case.
func containsFold(needle string, texts ...string) bool {
	needle = strings.ToLower(needle)
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), needle) {
			return true
		}
	}
	return false
}

// archiveSession is one result of an archive search.
type archiveSession struct {
	ID           int64         `json:"id"`
	Ref          string        `json:"ref"`
	ProjectCode  string        `json:"project_code"`
	ProjectName  string        `json:"project_name"`
	StartsAt     time.Time     `json:"starts_at"`
	EndsAt       time.Time     `json:"ends_at"`
	Phase        room.Phase    `json:"phase"`
	MainVenue    string        `json:"main_venue"`
	RemoteVenues []string      `json:"remote_venues"`
	Rooms        []archiveRoom `json:"rooms"`
	// Experts are the committee members whose name matched the search
	// (only when it named an expert).
	Experts []string `json:"experts,omitempty"`
	// Archive is what the archive holds of the session.
	Archive archive.SessionSummary `json:"archive"`
}

// archiveRoom is a session's room as the archive pages show it.
type archiveRoom struct {
	ID         int64  `json:"id"`
	VenueCode  string `json:"venue_code"`
	Name       string `json:"name"`
	RecorderID string `json:"recorder_id,omitempty"`
}

// archiveRooms lists sess's rooms.
func archiveRooms(sess room.Session) []archiveRoom {
	out := make([]archiveRoom, 0, len(sess.Rooms))
	for _, r := range sess.Rooms {
		out = append(out, archiveRoom{ID: r.ID, VenueCode: r.VenueCode, Name: r.Name, RecorderID: r.RecorderID})
	}
	return out
}

// archiveSearchResponse answers a search: the sessions found (latest
// start first, at most 200), how many matched, and whether the list was
// cut.
type archiveSearchResponse struct {
	Items     []archiveSession `json:"items"`
	Total     int              `json:"total"`
	Truncated bool             `json:"truncated"`
}

// searchArchive finds sessions by project, reference, start date, room
// or committee member, with what the archive holds of each; the search
// is audited (archive.search) with its query.
func (s *Server) searchArchive(c *gin.Context) {
	ctx := c.Request.Context()
	q, raw, err := parseArchiveQuery(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	all, err := s.p.Sessions.ListSessions(ctx, room.SessionFilter{})
	if err != nil {
		s.writeError(c, err)
		return
	}
	actor := me(c).Actor()
	var found []archiveSession
	var sessions []room.Session
	total := 0
	for _, sess := range all {
		if !q.matches(sess) {
			continue
		}
		var experts []string
		if q.Expert != "" {
			names, err := s.p.ArchiveCatalog.CommitteeNames(ctx, actor, sess)
			if err != nil {
				s.writeError(c, err)
				return
			}
			for _, n := range names {
				if containsFold(q.Expert, n) {
					experts = append(experts, n)
				}
			}
			if len(experts) == 0 {
				continue
			}
		}
		total++
		if len(found) == maxArchiveResults {
			continue
		}
		sessions = append(sessions, sess)
		found = append(found, archiveSession{ID: sess.ID, Ref: sess.Ref, ProjectCode: sess.ProjectCode, ProjectName: sess.ProjectName,
			StartsAt: sess.StartsAt, EndsAt: sess.EndsAt, Phase: sess.Phase, MainVenue: sess.MainVenue, RemoteVenues: sess.RemoteVenues,
			Rooms: archiveRooms(sess), Experts: experts})
	}
	sums, err := s.p.ArchiveCatalog.Summaries(ctx, actor, raw, sessions)
	if err != nil {
		s.writeError(c, err)
		return
	}
	for i := range found {
		found[i].Archive = sums[i]
	}
	if found == nil {
		found = []archiveSession{}
	}
	c.JSON(http.StatusOK, archiveSearchResponse{Items: found, Total: total, Truncated: total > len(found)})
}
