// Package room owns evaluation sessions: the venues that take part (one
// main venue and any remote ones), the physical evaluation rooms they use
// with their registered edge recorders, the phases of a session
// (scheduled → signin → evaluating ⇄ paused → finished, or aborted), the
// sign-in of committee members to seats after an identity check, on-site
// recusal, the media fault clocks of the rules in force, the check that
// every room of an evaluating session is recording, and the evaluators'
// scoring records: append-only (the database refuses UPDATE and DELETE;
// a correction is a new record pointing at the one it corrects), stamped
// with server UTC, and traced through ArchiveIndex to the moment of each
// room's recording.
//
// The committee comes from the expert pool through the Committee
// interface that room declares and cmd wires; room does not import
// expertpool. Which rooms have a live recorder comes from the SFU through
// MediaPresence. Every change goes through Service and lands in the audit
// log in the same transaction.
//
// The package stores data in the PostgreSQL schema "room" only. Its
// subpackages (sfu, token) are separate: room does not import the SFU,
// and the SFU does not import room. It never prints: it logs through the
// slog.Logger it is given. User-facing error details are Chinese.
package room
