package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
)

// cmdArchiveVerifySession verifies a session in the central archive
// through the configuration (database, archive store), as evalroomd's
// POST /api/sessions/{id}/archive/verify does: the outcome is recorded
// per segment and audited as cli:evalroomctl.
func cmdArchiveVerifySession(ctx context.Context, fs *flag.FlagSet, session *int64, args []string, stdout io.Writer, environ []string) error {
	cfg, db, err := openDB(ctx, fs, args, environ)
	if err != nil {
		return err
	}
	defer db.Close()
	if *session <= 0 || fs.NArg() > 0 {
		return fmt.Errorf("archive verify: -session takes a session id and no folder or file")
	}
	rooms, err := room.New(room.Params{DB: db, Audit: audit.New(db), Committee: noCommittee{}})
	if err != nil {
		return err
	}
	sess, err := rooms.GetSession(ctx, *session)
	if err != nil {
		return fmt.Errorf("archive verify: %w", err)
	}
	store, err := archive.OpenStore(ctx, archivewire.StoreConfig(cfg.Archive))
	if err != nil {
		return fmt.Errorf("archive verify: archive store: %w", err)
	}
	svc, err := archive.New(archive.Params{DB: db, Store: store, Keys: archivewire.RecorderKeys{Rooms: rooms}, Audit: audit.New(db)})
	if err != nil {
		return err
	}
	rep, err := svc.VerifySession(ctx, "cli:evalroomctl", archivewire.SessionSelection(sess, time.Now()))
	if err != nil {
		return fmt.Errorf("archive verify: %w", err)
	}
	return printSessionReport(stdout, sess, rep)
}

// printSessionReport prints each chain slice, each broken link and the
// verdict; errArchiveBroken on any break or when nothing was recorded.
func printSessionReport(w io.Writer, sess room.Session, rep archive.VerifyReport) error {
	fmt.Fprintf(w, "session %d (%s), rooms %v, %s – %s, verified %s\n", sess.ID, sess.Ref, rep.Rooms,
		rep.From.Format("2006-01-02 15:04:05Z"), rep.To.Format("2006-01-02 15:04:05Z"), rep.VerifiedAt.Format("2006-01-02 15:04:05Z"))
	for _, c := range rep.Chains {
		fmt.Fprintf(w, "chain %s: seq %d–%d, %d segments, %d bytes hashed again\n", c.Recorder, c.FirstSeq, c.LastSeq, c.Segments, c.Bytes)
		fmt.Fprintf(w, "  anchor 锚点: seq %d prev_hash %s\n", c.FirstSeq, c.AnchorPrev)
		fmt.Fprintf(w, "  end 末端:    seq %d manifest hash %s\n", c.LastSeq, c.LastHash)
	}
	for _, b := range rep.BrokenLinks {
		fmt.Fprintf(w, "BROKEN    %s  %s #%d  %s\n", b.Name, b.Recorder, b.Seq, b.Reason)
	}
	if rep.First != nil {
		fmt.Fprintf(w, "第一个断裂环节 (first broken link): %s\n", rep.First.Error())
		return fmt.Errorf("%w: %w", errArchiveBroken, rep.First)
	}
	if rep.Segments == 0 {
		fmt.Fprintln(w, "该评标没有已上传的录像 (nothing uploaded for this session)")
		return fmt.Errorf("%w: nothing uploaded for session %d", errArchiveBroken, sess.ID)
	}
	fmt.Fprintf(w, "全部通过：%d 个片段的存储内容、签名与链均完整，已记录校验结果 (all %d segments verify: stored bytes, signatures and chains; the outcome is recorded)\n",
		rep.Segments, rep.Segments)
	return nil
}
