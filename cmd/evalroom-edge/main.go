// Command evalroom-edge is the edge recorder of one evaluation room. It
// captures the room's cameras and microphone, encodes them once, writes
// the signed, hash-chained archive to its local spool, publishes the
// room live to evalroomd (WHIP) and uploads finished segments.
//
//	evalroom-edge [run] [flags]   record (the default)
//	evalroom-edge devices         list the cameras and microphones
//
// Configuration comes from a YAML file (-config), EVALROOM_EDGE_*
// environment variables and flags; see the README.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/cmd/internal/logging"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "evalroom-edge:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	cmd := "run"
	if len(args) > 0 && (args[0] == "run" || args[0] == "devices") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "devices" {
		return listDevices(stdout)
	}
	fs := flag.NewFlagSet("evalroom-edge", flag.ContinueOnError)
	cfg, err := config.LoadEdge(fs, args, os.Environ())
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.Log, os.Stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hooks, err := testHooks(os.Getenv("EVALROOM_TEST_CLOCK_SKEW"))
	if err != nil {
		return err
	}
	e, err := NewEdge(cfg, log, hooks)
	if err != nil {
		return err
	}
	return e.Run(ctx)
}

// testHooks reads EVALROOM_TEST_CLOCK_SKEW (a Go duration, e.g. "4s"),
// which makes the recorder's local clock run that far from the machine's:
// tests use it to show that frames are still stamped with the server's
// time. Empty means none.
func testHooks(skew string) (Hooks, error) {
	if skew == "" {
		return Hooks{}, nil
	}
	d, err := time.ParseDuration(skew)
	if err != nil {
		return Hooks{}, fmt.Errorf("EVALROOM_TEST_CLOCK_SKEW: %w", err)
	}
	return Hooks{LocalNow: func() time.Time { return time.Now().Add(d) }}, nil
}
