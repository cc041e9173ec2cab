package notify

import "context"

// Message is one notification to one recipient.
type Message struct {
	// ID is the idempotency key, unique per message (e.g. "outbox:123");
	// a retry of the same message carries the same ID.
	ID string `json:"id"`
	// To is the recipient's mobile number.
	To string `json:"to"`
	// Text is what is spoken or sent as SMS.
	Text string `json:"text"`
	// Link is an optional URL the recipient can open (SMS only).
	Link string `json:"link,omitempty"`
	// Kind names the kind of message (e.g. "invite").
	Kind string `json:"kind"`
	// Meta carries extra fields for the gateway (e.g. which keys it
	// should collect); never personal data.
	Meta map[string]string `json:"meta,omitempty"`
}

// Provider delivers messages.
//
// Send must be idempotent per Message.ID: a message may be handed over
// again after a crash between delivery and its record, and the provider
// (or the gateway behind it, through the Idempotency-Key) must deliver it
// once. Send returns nil when the message was accepted, a PermanentError
// when retrying cannot help (the gateway refused it with a 4xx status), and
// any other error for a failure worth retrying.
type Provider interface {
	Send(ctx context.Context, m Message) error
}
