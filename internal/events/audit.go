package events

import (
	"encoding/json"
	"strconv"

	"github.com/evalroom/evalroom/internal/audit"
)

// FromAudit is the event of a committed audit entry: its seq, time,
// action and object, and as Topic the session it concerns when its detail
// names one ("session_id"), so panels of that session hear of it. Nothing
// else of the detail leaves the server.
func FromAudit(e audit.Entry) Event {
	ev := Event{Seq: e.Seq, At: e.At, Action: e.Action, Object: e.Object}
	var d struct {
		SessionID json.Number `json:"session_id"`
	}
	if json.Unmarshal(e.Detail, &d) == nil && d.SessionID != "" {
		if id, err := strconv.ParseInt(d.SessionID.String(), 10, 64); err == nil && id > 0 {
			ev.Topic = "session:" + strconv.FormatInt(id, 10)
		}
	}
	return ev
}
