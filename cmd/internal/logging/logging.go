// Package logging builds the binaries' slog.Logger from configuration.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/evalroom/evalroom/cmd/internal/config"
)

// New returns a logger writing to w at the configured level and format.
func New(c config.Log, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(c.Level))); err != nil {
		return nil, fmt.Errorf("log.level %q: use debug, info, warn or error", c.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.Format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("log.format %q: use text or json", c.Format)
	}
}
