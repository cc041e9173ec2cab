// Package infra opens the shared infrastructure of evalroom's binaries:
// the PostgreSQL pool (with every feature's migrations applied), the Redis
// client and the keys.
package infra

import (
	"context"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Migrations are every schema's migrations, in dependency order.
func Migrations() []migrate.Set {
	return []migrate.Set{audit.Migrations, auth.Migrations, expertpool.Migrations, room.Migrations, archive.Migrations}
}

// OpenPostgres connects to PostgreSQL and checks the connection.
func OpenPostgres(ctx context.Context, c config.Postgres) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(c.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres.dsn: %w", err)
	}
	if c.MaxConns > 0 {
		pc.MaxConns = int32(c.MaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return pool, nil
}

// Migrate applies every pending migration.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	n, err := migrate.Apply(ctx, pool, Migrations()...)
	if err != nil {
		return n, fmt.Errorf("migrate: %w", err)
	}
	return n, nil
}

// OpenRedis connects to Redis and checks the connection.
func OpenRedis(ctx context.Context, c config.Redis) (*redis.Client, error) {
	client := redis.NewClient(&redis.Options{Addr: c.Addr, Password: c.Password, DB: c.DB})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", c.Addr, err)
	}
	return client, nil
}

// Keys parses the master key; an empty key is refused, since sealed data
// written under a throwaway key could never be read again.
func Keys(c config.Secrets) (*seal.Keys, error) {
	if c.MasterKey == "" {
		return nil, fmt.Errorf("secrets.master_key is not set: generate one with `evalroomctl keygen` and keep it safe")
	}
	k, err := seal.ParseKey(c.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("secrets.master_key: %w", err)
	}
	return k, nil
}
