package notify

import (
	"context"
	"sync"
	"time"
)

// inboxSize is how many messages an Inbox keeps.
const inboxSize = 500

// Inbox is the demo's "phone": a provider that keeps the latest messages
// in memory (and hands each to Next, if set) so that a person trying the
// demo can read the invitations and open their links as an expert would.
// Demo only: it keeps recipients' numbers and one-time links in memory.
type Inbox struct {
	// Next also receives every message (for example a LogProvider); nil
	// sends nowhere else.
	Next Provider
	// Now stamps the messages; nil uses time.Now.
	Now func() time.Time

	mu   sync.Mutex
	msgs []InboxMessage
	seen map[string]bool
}

// InboxMessage is one message an Inbox received.
type InboxMessage struct {
	Message
	// At is when it was received.
	At time.Time `json:"at"`
}

var _ Provider = (*Inbox)(nil)

// Send keeps m (once per ID: a retry is not kept twice) and passes it on.
func (b *Inbox) Send(ctx context.Context, m Message) error {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	b.mu.Lock()
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	if !b.seen[m.ID] {
		b.seen[m.ID] = true
		b.msgs = append(b.msgs, InboxMessage{Message: m, At: now().UTC()})
		if len(b.msgs) > inboxSize {
			delete(b.seen, b.msgs[0].ID)
			b.msgs = b.msgs[1:]
		}
	}
	b.mu.Unlock()
	if b.Next != nil {
		return b.Next.Send(ctx, m)
	}
	return nil
}

// Messages returns the kept messages, newest first.
func (b *Inbox) Messages() []InboxMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]InboxMessage, len(b.msgs))
	for i, m := range b.msgs {
		out[len(b.msgs)-1-i] = m
	}
	return out
}
