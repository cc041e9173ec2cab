package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/recorder/archive"
)

// errReplicaIncomplete is returned when the archive's second copy lacks
// a segment or a manifest, or holds one with other bytes.
var errReplicaIncomplete = errors.New("the archive replica is incomplete")

// cmdArchiveReplicate is the replication catch-up: every indexed
// segment and its manifest are copied to the replica when missing, and
// every replica object is read back and hashed; the queue records the
// outcome. It fails when a segment could not be copied or a replica
// object differs (it is never overwritten: move it aside, run again).
func cmdArchiveReplicate(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	return withReplicator(ctx, "archive replicate", args, stdout, environ, func(r *archive.Replicator) (archive.ReplicaReport, error) {
		return r.ReplicateAll(ctx)
	})
}

// cmdArchiveReplicasCheck reads every indexed segment and manifest back
// from the replica, hashes them and lists those missing or altered; it
// changes nothing and fails when any is.
func cmdArchiveReplicasCheck(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	return withReplicator(ctx, "archive replicas check", args, stdout, environ, func(r *archive.Replicator) (archive.ReplicaReport, error) {
		return r.CheckReplica(ctx)
	})
}

// withReplicator opens the database, the primary store and the replica
// through the configuration, runs fn and prints its report (as JSON with
// -json).
func withReplicator(ctx context.Context, name string, args []string, stdout io.Writer, environ []string,
	fn func(*archive.Replicator) (archive.ReplicaReport, error)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cfg, db, err := openDB(ctx, fs, args, environ)
	if err != nil {
		return err
	}
	defer db.Close()
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	if _, ok, err := archivewire.ReplicaConfig(cfg.Archive); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	} else if !ok {
		return fmt.Errorf("%s: 未配置档案副本：请设置 archive.replica_store (EVALROOM_ARCHIVE_REPLICA_STORE) 等 (no replica configured)", name)
	}
	primary, err := archive.OpenStore(ctx, archivewire.StoreConfig(cfg.Archive))
	if err != nil {
		return fmt.Errorf("%s: archive store: %w", name, err)
	}
	r, err := archivewire.OpenReplicator(ctx, cfg.Archive, db, primary, archive.ReplicatorParams{})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	rep, err := fn(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	st, err := r.Stats(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Replica string                   `json:"replica"`
			Report  archive.ReplicaReport    `json:"report"`
			Queue   archive.ReplicationStats `json:"queue"`
		}{replicaName(cfg.Archive), rep, st}); err != nil {
			return err
		}
	} else {
		printReplicaReport(stdout, replicaName(cfg.Archive), rep, st)
	}
	if !rep.Clean() {
		return fmt.Errorf("%w: %d missing, %d altered, %d not copied", errReplicaIncomplete, rep.Missing, rep.Differs, rep.Failed)
	}
	return nil
}

// replicaName says where the replica is.
func replicaName(c config.Archive) string {
	if c.ReplicaStore == archive.StoreS3 {
		return fmt.Sprintf("s3 %s/%s%s", c.ReplicaS3Endpoint, c.ReplicaS3Bucket, "/"+c.ReplicaS3Prefix)
	}
	return "fs " + c.ReplicaDir
}

// printReplicaReport prints the counts, one line per problem and the
// verdict.
func printReplicaReport(w io.Writer, where string, rep archive.ReplicaReport, st archive.ReplicationStats) {
	fmt.Fprintf(w, "副本 (replica): %s\n", where)
	fmt.Fprintf(w, "片段 %d 个，副本完好 %d 个，本次复制 %d 个，读回校验 %d 字节 (segments %d, intact in the replica %d, copied now %d, bytes read back and hashed %d)\n",
		rep.Segments, rep.OK, rep.Copied, rep.Bytes, rep.Segments, rep.OK, rep.Copied, rep.Bytes)
	fmt.Fprintf(w, "复制队列 (queue): pending %d, failed %d, done %d\n", st.Pending, st.Failed, st.Done)
	labels := map[string]string{
		archive.ProblemSegmentMissing:  "MISSING   片段缺失 segment",
		archive.ProblemManifestMissing: "MISSING   清单缺失 manifest",
		archive.ProblemSegmentDiffers:  "DIFFERS   片段被改动 segment",
		archive.ProblemManifestDiffers: "DIFFERS   清单被改动 manifest",
		archive.ProblemCopyFailed:      "FAILED    复制失败 copy",
	}
	for _, p := range rep.Problems {
		session := ""
		if p.Session > 0 {
			session = fmt.Sprintf(" session %d", p.Session)
		}
		fmt.Fprintf(w, "%s %s  %s #%d%s  %s\n", labels[p.Kind], p.Segment, p.Recorder, p.Seq, session, p.Detail)
	}
	if n := rep.Missing + rep.Differs + rep.Failed - len(rep.Problems); n > 0 {
		fmt.Fprintf(w, "…另有 %d 个问题未列出 (%d more not listed)\n", n, n)
	}
	if rep.Clean() {
		fmt.Fprintf(w, "副本完整：%d 个片段及其清单均在副本中，哈希一致 (the replica holds all %d segments and their manifests, hashes match)\n",
			rep.Segments, rep.Segments)
		return
	}
	fmt.Fprintf(w, "副本不完整：缺失 %d，被改动 %d，复制失败 %d (the replica is incomplete: %d missing, %d altered, %d not copied)\n",
		rep.Missing, rep.Differs, rep.Failed, rep.Missing, rep.Differs, rep.Failed)
	if rep.Differs > 0 {
		fmt.Fprintln(w, "被改动的副本不会被覆盖：核查后将其移出副本目录，再运行 evalroomctl archive replicate (an altered copy is never overwritten: move it aside after investigating, then run evalroomctl archive replicate)")
	}
}
