package notify

// Keys are the Redis keys one notification pipeline uses.
type Keys struct {
	// Stream holds the ids of messages to deliver.
	Stream string
	// Group is the consumer group of the workers on Stream.
	Group string
	// Dead is the dead-letter stream.
	Dead string
	// Retry is a sorted set of ids waiting for their next attempt, scored
	// by due time in Unix milliseconds.
	Retry string
}

// KeysFor returns the keys under prefix (which should end in ":").
func KeysFor(prefix string) Keys {
	return Keys{
		Stream: prefix + "notify:stream",
		Group:  "notifiers",
		Dead:   prefix + "notify:dead",
		Retry:  prefix + "notify:retry",
	}
}
