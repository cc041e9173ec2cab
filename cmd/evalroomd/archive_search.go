package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web"
)

// archiveCatalog is the archive seen as web's ArchiveCatalog: it selects
// a session's segments as the export does (archivewire.SessionSelection),
// takes committee names from the expert pool and the sign-ins, and
// audits every view.
type archiveCatalog struct {
	rooms     *room.Service
	archive   *archive.Service
	committee room.Committee
	audit     *audit.Log
	now       func() time.Time
}

var _ web.ArchiveCatalog = archiveCatalog{}

// archiveCatalog builds the archive search and timelines from the
// archive, the rooms and the expert pool.
func (m *Main) archiveCatalog() archiveCatalog {
	return archiveCatalog{rooms: m.rooms, archive: m.archive, committee: poolCommittee{m.pool}, audit: m.audit, now: time.Now}
}

// Summaries summarises each session's archive and audits the search
// (archive.search, with the query and the sessions found).
func (x archiveCatalog) Summaries(ctx context.Context, actor string, query map[string]string, sessions []room.Session) ([]archive.SessionSummary, error) {
	out := make([]archive.SessionSummary, len(sessions))
	var sels []archive.Selection
	var at []int
	ids := make([]int64, 0, len(sessions))
	for i, s := range sessions {
		ids = append(ids, s.ID)
		out[i] = archive.SessionSummary{Session: s.ID, State: archive.StateEmpty}
		if len(s.Rooms) > 0 {
			sels, at = append(sels, archivewire.SessionSelection(s, x.now())), append(at, i)
		}
	}
	sums, err := x.archive.Summaries(ctx, sels)
	if err != nil {
		return nil, roomError(err)
	}
	for j, i := range at {
		out[i] = sums[j]
	}
	if _, err := x.audit.AppendNow(ctx, audit.Record{Actor: actor, Action: "archive.search", Object: "archive:sessions",
		Detail: map[string]any{"query": query, "session_ids": ids}}); err != nil {
		return nil, fmt.Errorf("audit archive.search: %w", err)
	}
	return out, nil
}

// Timeline lays out the session's archive per room and audits the view
// (archive.timeline).
func (x archiveCatalog) Timeline(ctx context.Context, actor string, sess room.Session) (archive.Timeline, error) {
	sel := archivewire.SessionSelection(sess, x.now())
	tl := archive.Timeline{Session: sess.ID, From: sel.From, To: sel.To, Rooms: []archive.Lane{}}
	if len(sess.Rooms) > 0 {
		var err error
		if tl, err = x.archive.Timeline(ctx, sel); err != nil {
			return archive.Timeline{}, roomError(err)
		}
	}
	n := 0
	for _, l := range tl.Rooms {
		n += len(l.Segments)
	}
	if _, err := x.audit.AppendNow(ctx, audit.Record{Actor: actor, Action: "archive.timeline", Object: "session:" + strconv.FormatInt(sess.ID, 10),
		Detail: map[string]any{"room_ids": sel.Rooms, "from": sel.From, "to": sel.To, "segments": n}}); err != nil {
		return archive.Timeline{}, fmt.Errorf("audit archive.timeline: %w", err)
	}
	return tl, nil
}

// CommitteeNames returns the names of the session's signed-in members
// and of its draw's members who confirmed (or were recused on site),
// revealed by the pool (which audits it); a sealed committee adds none.
func (x archiveCatalog) CommitteeNames(ctx context.Context, actor string, sess room.Session) ([]string, error) {
	var names []string
	signins, err := x.rooms.ListSignIns(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	for _, s := range signins {
		names = append(names, s.MemberName)
	}
	if sess.DrawID > 0 {
		members, err := x.committee.Members(ctx, actor, sess.DrawID, "")
		switch {
		case errors.Is(err, room.ErrPhase), errors.Is(err, room.ErrNotFound):
		case err != nil:
			return nil, err
		}
		for _, m := range members {
			if m.State == "confirmed" || m.State == "recused" {
				names = append(names, m.Name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
