// Command evalroomd is evalroom's central service: the API and panels, the
// expert pool with its notifier, and (later) the room server and archive.
//
// Configuration comes from a YAML file (-config), EVALROOM_* environment
// variables and flags; see the README for every setting.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/cmd/internal/logging"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "evalroomd:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("evalroomd", flag.ContinueOnError)
	cfg, err := config.Load(fs, os.Args[1:], os.Environ())
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.Log, os.Stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := NewMain(cfg, log)
	if err := m.Run(ctx); err != nil {
		m.Close(context.Background())
		return err
	}
	fmt.Print(m.Banner)
	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return m.Close(shutdownCtx)
}
