package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
)

// expireActor is who evalroomctl deletes as, in the audit log.
const expireActor = "cli:evalroomctl"

// cmdArchiveExpire runs the archive's retention job once, as evalroomd
// does every day, through the same configuration (database, archive
// store, replica, archive.retention_years): segments whose session ended
// more than the retention period ago and that no legal hold covers are
// deleted, each deletion audited as cli:evalroomctl. With -dry-run it
// only lists what would be deleted.
func cmdArchiveExpire(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := flag.NewFlagSet("archive expire", flag.ContinueOnError)
	dryRun := fs.Bool("dry-run", false, "list what would be deleted; change nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cfg, db, err := openDB(ctx, fs, args, environ)
	if err != nil {
		return err
	}
	defer db.Close()
	if fs.NArg() > 0 {
		return fmt.Errorf("archive expire: unexpected argument %q", fs.Arg(0))
	}
	rooms, err := room.New(room.Params{DB: db, Audit: audit.New(db), Committee: noCommittee{}})
	if err != nil {
		return err
	}
	store, err := archive.OpenStore(ctx, archivewire.StoreConfig(cfg.Archive))
	if err != nil {
		return fmt.Errorf("archive expire: archive store: %w", err)
	}
	svc, err := archive.New(archive.Params{DB: db, Store: store, Keys: archivewire.RecorderKeys{Rooms: rooms}, Audit: audit.New(db)})
	if err != nil {
		return err
	}
	ret, err := archivewire.OpenRetention(ctx, cfg.Archive, svc, rooms, time.Now)
	if err != nil {
		return fmt.Errorf("archive expire: %w", err)
	}
	rep, runErr := ret.Expire(ctx, expireActor, *dryRun)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printExpireReport(stdout, rep)
	}
	if runErr != nil {
		return fmt.Errorf("archive expire: %w", runErr)
	}
	return nil
}

// printExpireReport prints each segment deleted (or, in a dry run, to be
// deleted) and the counts.
func printExpireReport(w io.Writer, rep archive.ExpireReport) {
	const day = "2006-01-02"
	verb := "DELETED "
	if rep.DryRun {
		verb = "WOULD DELETE "
		fmt.Fprintln(w, "试运行：不删除任何内容 (dry run: nothing is changed)")
	}
	fmt.Fprintf(w, "保存期限 %d 年：%s 之前结束的评标的录像已到期 (retention %d years: sessions ended before %s are past it)\n",
		rep.Years, rep.Cutoff.Format(day), rep.Years, rep.Cutoff.Format(day))
	for _, x := range rep.Segments {
		fmt.Fprintf(w, "%s%s  %s #%d  room %d session %d  %s – %s  %d bytes\n", verb, x.Hash, x.Recorder, x.Seq, x.Room, x.Session,
			x.Start.Format(time.RFC3339), x.End.Format(time.RFC3339), x.Size)
	}
	if n := rep.Expired - len(rep.Segments); n > 0 {
		fmt.Fprintf(w, "… and %d more\n", n)
	}
	done := "已删除"
	if rep.DryRun {
		done = "将删除"
	}
	fmt.Fprintf(w, "%s %d 个片段（%d 字节）；法律保全保留 %d 个；评标未结束或未满期限保留 %d 个；已从存储移除 %d 个\n",
		done, rep.Expired, rep.Bytes, rep.Held, rep.Kept, rep.BlobsRemoved)
	fmt.Fprintf(w, "(%d segments, %d bytes; %d kept by legal holds; %d kept because their session has not ended or ended within the period; %d removed from the store)\n",
		rep.Expired, rep.Bytes, rep.Held, rep.Kept, rep.BlobsRemoved)
}
