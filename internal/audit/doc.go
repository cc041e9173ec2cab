// Package audit is evalroom's append-only, hash-chained audit log.
//
// Every change and every disclosure of sealed data is appended as an
// Entry: who (actor), when (UTC), what (action) to which object, with a
// JSON detail. Entries are numbered without gaps and each carries the
// SHA-256 of its predecessor's hash and its own fields, so Verify detects
// an entry that was deleted, edited or reordered, and names the first
// broken link. The table also refuses UPDATE and DELETE by trigger.
//
// Append takes the caller's transaction, so the entry commits or rolls
// back with the change it records. Appends are serialised by an advisory
// lock held to the end of that transaction: append last, just before
// commit.
//
// audit knows nothing of the features that use it.
package audit
