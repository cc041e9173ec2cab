package main

import (
	"context"
	"errors"
	"flag"
	"io"
)

// cmdDrawVerify replays a revealed draw. Implemented with the draw engine.
func cmdDrawVerify(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	return errors.New("draw verify: not wired yet")
}

var _ = flag.NewFlagSet
