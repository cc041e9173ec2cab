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
	"github.com/evalroom/evalroom/cmd/internal/sdnotify"
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
	// systemd (Type=notify): ready now, keep-alives while running.
	sd := sdnotify.FromEnv(os.Getenv)
	if err := sd.Send(sdnotify.Ready, sdnotify.Status("正在服务 "+m.Addr)); err != nil {
		log.Warn("systemd notification", "err", err)
	}
	watchdogDone := make(chan struct{})
	go func() {
		defer close(watchdogDone)
		sd.RunWatchdog(ctx, nil, func(err error) { log.Warn("systemd watchdog", "err", err) })
	}()
	<-ctx.Done()
	<-watchdogDone
	log.Info("shutting down")
	if err := sd.Send(sdnotify.Stopping); err != nil {
		log.Warn("systemd notification", "err", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return m.Close(shutdownCtx)
}
