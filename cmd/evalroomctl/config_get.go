package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/evalroom/evalroom/cmd/internal/config"
)

// cmdConfigGet prints one setting of evalroomd's configuration as
// evalroomd would load it (-config file, EVALROOM_* variables, flags), so
// that scripts such as deploy/backup/pg-backup.sh read the same
// configuration. Secret settings are refused.
func cmdConfigGet(args []string, stdout io.Writer, environ []string) error {
	fs := flag.NewFlagSet("config get", flag.ContinueOnError)
	cfg, err := config.Load(fs, args, environ)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("config get: give one setting, e.g. postgres.dsn: %w", errUsage)
	}
	key := fs.Arg(0)
	for _, f := range config.Fields(&cfg) {
		if f.Key != key {
			continue
		}
		if f.Secret {
			return fmt.Errorf("config get: %s is a secret and is not printed", key)
		}
		_, err := fmt.Fprintln(stdout, f.String())
		return err
	}
	return fmt.Errorf("config get: %w: %s", config.ErrUnknownKey, key)
}
