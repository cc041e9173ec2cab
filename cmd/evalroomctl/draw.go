package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/draw"
	"github.com/evalroom/evalroom/internal/audit"
)

// errDrawBroken is returned when a draw does not verify.
var errDrawBroken = errors.New("draw does NOT verify")

// cmdDrawVerify replays a revealed draw: from an exported record (-file,
// offline, no database or key needed) or from the database (-id).
func cmdDrawVerify(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := flag.NewFlagSet("draw verify", flag.ContinueOnError)
	file := fs.String("file", "", "exported draw record (GET /api/draws/{id}/export)")
	id := fs.Int64("id", 0, "draw id in the configured database")
	var (
		rep draw.Report
		err error
	)
	if fileArgGiven(args) {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rep, err = verifyFile(*file)
	} else {
		rep, err = verifyInDB(ctx, fs, args, environ, id)
	}
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintln(stdout, string(out))
	if !rep.OK {
		return fmt.Errorf("%w: %s", errDrawBroken, rep.Mismatch)
	}
	fmt.Fprintf(stdout, "draw verifies: %d rounds, %d members replayed from the revealed seed\n", rep.Rounds, rep.Members)
	return nil
}

func fileArgGiven(args []string) bool {
	for _, a := range args {
		if a == "-file" || a == "--file" || len(a) > 6 && (a[:6] == "-file=" || a[:7] == "--file=") {
			return true
		}
	}
	return false
}

func verifyFile(path string) (draw.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return draw.Report{}, fmt.Errorf("draw verify: %w", err)
	}
	var rec expertpool.DrawRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return draw.Report{}, fmt.Errorf("draw verify: %s is not a draw record: %w", path, err)
	}
	return expertpool.VerifyRecord(rec), nil
}

func verifyInDB(ctx context.Context, fs *flag.FlagSet, args, environ []string, id *int64) (draw.Report, error) {
	cfg, db, err := openDB(ctx, fs, args, environ)
	if err != nil {
		return draw.Report{}, err
	}
	defer db.Close()
	if *id <= 0 {
		return draw.Report{}, fmt.Errorf("draw verify: give -file or -id")
	}
	keys, err := infra.Keys(cfg.Secrets)
	if err != nil {
		return draw.Report{}, err
	}
	svc, err := expertpool.New(expertpool.Params{DB: db, Audit: audit.New(db), Keys: keys})
	if err != nil {
		return draw.Report{}, err
	}
	rep, err := svc.VerifyDraw(ctx, *id)
	if err != nil {
		return draw.Report{}, fmt.Errorf("draw verify: %w", err)
	}
	return rep.Report, nil
}
