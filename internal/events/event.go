package events

import (
	"strings"
	"time"
)

// Event is one "something changed" hint.
type Event struct {
	// Seq is the audit entry's sequence number when the event comes from
	// the audit log, else 0.
	Seq int64 `json:"seq,omitempty"`
	// At is when it happened (UTC).
	At time.Time `json:"at"`
	// Action names what happened, "area.verb" (for example "session.phase").
	Action string `json:"action"`
	// Object names what it happened to, "kind:id" (for example "session:3").
	Object string `json:"object,omitempty"`
	// Topic is a second object the event concerns (for example the
	// session of a member's sign-in), so panels can filter on it.
	Topic string `json:"topic,omitempty"`
	// Lost is set on the one synthetic event a subscriber gets after it
	// fell behind and events were dropped: re-read everything.
	Lost bool `json:"lost,omitempty"`
}

// Matches reports whether e concerns one of filters: a filter "kind:id"
// matches that Object or Topic exactly, a filter "kind:" every object of
// that kind. No filters match everything; a lost-events notice matches
// always.
func (e Event) Matches(filters []string) bool {
	if len(filters) == 0 || e.Lost {
		return true
	}
	for _, f := range filters {
		if f == "" || matchOne(f, e.Object) || matchOne(f, e.Topic) {
			return true
		}
	}
	return false
}

// matchOne matches one filter against one object name.
func matchOne(filter, object string) bool {
	if object == "" {
		return false
	}
	if strings.HasSuffix(filter, ":") {
		return strings.HasPrefix(object, filter)
	}
	return object == filter
}
