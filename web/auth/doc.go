// Package auth owns evalroom's users, roles, passwords and browser
// sessions, in the PostgreSQL schema "auth".
//
// A user has a unique username, a display name, an argon2id password hash
// (PHC string with its parameters), one role (admin, staff, evaluator,
// supervisor, archivist), the venue a staff member works at and the
// evaluation session an evaluator belongs to, and a disabled flag.
//
// A browser session is a random 32-byte token handed to the browser in a
// cookie; only its SHA-256 is stored, with an idle and an absolute expiry.
// Failed logins are counted per username and per client address so that
// password guessing is slowed down.
//
// Every change to a user and every login, failed login and logout is
// appended to the audit log in the same transaction. Passwords and tokens
// never reach the log or the audit trail.
//
// auth knows nothing of HTTP: the web package turns cookies into tokens and
// errors into status codes.
package auth
