// Package notify moves messages from a durable store (an outbox in
// PostgreSQL) through a Redis Stream to a delivery provider, and checks the
// signatures of the provider's callbacks.
//
// It knows nothing of experts or draws: the store is reached through the
// small Source and Sink interfaces, and a message is only an id, a
// recipient, a text and a link. A Relay copies pending ids from the Source
// into the stream; Workers in a consumer group claim each message in the
// store (the store, not Redis, is the truth), render it, hand it to the
// Provider, and record the outcome. Failed deliveries are retried with
// exponential backoff and jitter, then dead-lettered. If Redis loses its
// data, the Relay copies again whatever was relayed but not delivered, and
// the claim in the store plus the Idempotency-Key header keep a message
// from reaching the gateway twice.
//
// The package never prints; it logs through the slog.Logger it is given.
// Every goroutine it starts is stopped by Close.
package notify
