// Package testenv gives tests real PostgreSQL and Redis servers.
//
// When TEST_POSTGRES_DSN (a DSN of a role allowed to create databases) or
// TEST_REDIS_ADDR is set, those servers are used. Otherwise the first test
// that asks starts a throwaway server on a free 127.0.0.1 port in a
// temporary directory: PostgreSQL through initdb and pg_ctl (as the
// postgres user when running as root, since initdb refuses root) and
// redis-server without persistence. The servers live as long as the test
// binary; a package that uses them calls Main from its TestMain so they are
// stopped when the tests end.
//
// Each test gets its own database (created from a template that already has
// the extensions, dropped at cleanup) and its own Redis key prefix, so tests
// in one binary may run in parallel without seeing each other's data.
//
// testenv is imported only by tests.
package testenv
