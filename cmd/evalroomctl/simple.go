package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/jackc/pgx/v5/pgxpool"
)

func cmdKeygen(stdout io.Writer) error {
	_, err := fmt.Fprintln(stdout, seal.GenerateKey())
	return err
}

func cmdConfigDoc(stdout io.Writer) error {
	_, err := fmt.Fprintf(stdout, "evalroomd:\n\n%s\nevalroom-edge:\n\n%s", config.Reference(), config.EdgeReference())
	return err
}

// openDB loads the configuration from args and environ and connects to
// PostgreSQL, applying pending migrations.
func openDB(ctx context.Context, fs *flag.FlagSet, args []string, environ []string) (config.Config, *pgxpool.Pool, error) {
	cfg, err := config.Load(fs, args, environ)
	if err != nil {
		return cfg, nil, err
	}
	db, err := infra.OpenPostgres(ctx, cfg.Postgres)
	if err != nil {
		return cfg, nil, err
	}
	if _, err := infra.Migrate(ctx, db); err != nil {
		db.Close()
		return cfg, nil, err
	}
	return cfg, db, nil
}

func cmdMigrate(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg, err := config.Load(fs, args, environ)
	if err != nil {
		return err
	}
	db, err := infra.OpenPostgres(ctx, cfg.Postgres)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := infra.Migrate(ctx, db)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "applied %d migrations\n", n)
	return err
}
