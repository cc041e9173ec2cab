// Package expertpool owns the pool of evaluation experts and the fair,
// secret, auditable draw of committees from it.
//
// It keeps experts (identity sealed, specialties, employers, consultancies,
// declared relatives, status and unavailable days), organisations and
// projects; applies the recusal (回避) rules of the trading centre; draws
// committees per venue quota with a committed seed that can be revealed and
// replayed (subpackage draw); books drawn experts so the database itself
// refuses double bookings; notifies them through an outbox, a Redis Stream
// and a provider (subpackage notify); takes their answers and draws
// replacements; and keeps the committee sealed until sign-in opens.
//
// Every change goes through Service and lands in the audit log in the same
// transaction. The package stores data in the PostgreSQL schema
// "expertpool" only. It does not import other features (room, recorder) or
// the web layer, and it never prints: it logs through the slog.Logger it is
// given.
package expertpool
