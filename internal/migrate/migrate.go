// Package migrate applies each feature's embedded SQL migrations to
// PostgreSQL, in order, once.
//
// A feature owns one schema and ships its migrations as files named
// NNNN_description.sql in an embed.FS. Apply records each applied file in
// <schema>.schema_migrations and runs every file in its own transaction
// under an advisory lock, so several evalroomd nodes starting together
// apply each migration exactly once. Migrations only move forward.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Set is one schema's migrations.
type Set struct {
	// Schema is the PostgreSQL schema the migrations create and own.
	Schema string
	// FS holds the migration files; Dir is the folder inside it.
	FS  fs.FS
	Dir string
}

// ErrBadMigrationName is returned for a file not named NNNN_name.sql.
var ErrBadMigrationName = errors.New("migrate: migration file must be named NNNN_name.sql")

// ErrDuplicateVersion is returned when two files share a version number.
var ErrDuplicateVersion = errors.New("migrate: duplicate migration version")

var nameRE = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

type file struct {
	version int
	name    string
}

// Apply applies the not yet applied migrations of every set, in the order
// given, and returns how many it applied.
func Apply(ctx context.Context, pool *pgxpool.Pool, sets ...Set) (int, error) {
	total := 0
	for _, s := range sets {
		n, err := applySet(ctx, pool, s)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func applySet(ctx context.Context, pool *pgxpool.Pool, s Set) (int, error) {
	files, err := list(s)
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, f := range files {
		did, err := applyOne(ctx, pool, s, f)
		if err != nil {
			return applied, fmt.Errorf("migrate %s/%s: %w", s.Schema, f.name, err)
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

func list(s Set) ([]file, error) {
	entries, err := fs.ReadDir(s.FS, s.Dir)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: read %s: %w", s.Schema, s.Dir, err)
	}
	seen := map[int]string{}
	var files []file
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := nameRE.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("%w: %s", ErrBadMigrationName, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if other, ok := seen[v]; ok {
			return nil, fmt.Errorf("%w: %s and %s", ErrDuplicateVersion, other, e.Name())
		}
		seen[v] = e.Name()
		files = append(files, file{version: v, name: e.Name()})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version < files[j].version })
	return files, nil
}

func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("evalroom-migrate:" + schema))
	return int64(h.Sum64())
}

func applyOne(ctx context.Context, pool *pgxpool.Pool, s Set, f file) (bool, error) {
	body, err := fs.ReadFile(s.FS, s.Dir+"/"+f.name)
	if err != nil {
		return false, fmt.Errorf("read: %w", err)
	}
	did := false
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey(s.Schema)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		ident := pgx.Identifier{s.Schema}.Sanitize()
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+ident+`.schema_migrations (
			version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+ident+".schema_migrations WHERE version = $1)", f.version).Scan(&exists); err != nil {
			return fmt.Errorf("check version: %w", err)
		}
		if exists {
			return nil
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("exec: %w", err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+ident+".schema_migrations (version, name) VALUES ($1, $2)", f.version, f.name); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		did = true
		return nil
	})
	return did, err
}
