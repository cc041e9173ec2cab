package main

import (
	"context"
	"fmt"
	"io"

	"github.com/evalroom/evalroom/recorder/archive/evidence"
)

// verifyExportFile verifies an evidence export offline: with -key/-keys
// when given (the registered keys, proving the origin), else with the
// export's own key history (internal consistency only, said in a note);
// with -server-key the export must carry the server's signature made
// with that key.
func verifyExportFile(ctx context.Context, path string, keyArgs []string, keysFile, serverKey string, stdout io.Writer) error {
	trusted, err := trustedExportKeys(keyArgs, keysFile)
	if err != nil {
		return err
	}
	opts := evidence.VerifyOptions{}
	if trusted != nil {
		opts.Keys = trusted
	}
	if serverKey != "" {
		if opts.ServerKey, opts.ServerFingerprint, err = evidence.ParseServerKey(serverKey); err != nil {
			return fmt.Errorf("archive verify: -server-key: %w", err)
		}
	}
	rep, err := evidence.VerifyFile(ctx, path, opts)
	if err != nil {
		return fmt.Errorf("archive verify: %s: %w", path, err)
	}
	return printExportReport(stdout, rep)
}

// printExportReport prints one line per manifest, each chain slice with
// its anchor, the files, audit and scores checks and the verdict; it
// returns errArchiveBroken (wrapping the first break) on any break.
func printExportReport(w io.Writer, rep evidence.Report) error {
	if !rep.ExternalKeys && !rep.Signature.Trusted {
		fmt.Fprintln(w, "注意：录像设备公钥取自导出包（export.json 的公钥历史与 keys.txt），只能证明包内容自洽；要证明来源，请用 -server-key 给出服务器公布的签名公钥，或用 -key、-keys 给出登记的公钥。\n"+
			"note: the recorders' keys come from inside the export (export.json's key history and keys.txt), which proves internal consistency only; give the server's published signing key with -server-key, or the registered keys with -key or -keys, to prove the origin.")
	}
	printSignature(w, rep)
	for _, r := range rep.KeyMismatches {
		fmt.Fprintf(w, "KEY       %s: keys.txt 中的公钥与给出的公钥不同 (the key in keys.txt differs from the trusted key)\n", r)
	}
	if idx := rep.Index; idx != nil {
		fmt.Fprintf(w, "export of session %d (%s), rooms %v, %s – %s, written %s by %s\n", idx.Session, idx.SessionRef, idx.Rooms,
			idx.From.Format("2006-01-02 15:04:05Z"), idx.To.Format("2006-01-02 15:04:05Z"),
			idx.CreatedAt.Format("2006-01-02 15:04:05Z"), idx.CreatedBy)
	}
	for _, s := range rep.Slices {
		for _, r := range s.Results {
			m := r.Manifest
			switch {
			case r.Break != nil:
				fmt.Fprintf(w, "BROKEN    %s  %s\n", r.Name, r.Break.Kind.Reason())
			case r.ChainOnly:
				fmt.Fprintf(w, "CHAIN     %s  %s #%d  仅清单，片段不在导出包中 (chain only: segment not in the export)\n", r.Name, m.Recorder, m.Seq)
			default:
				fmt.Fprintf(w, "OK        %s  %s #%d  %s – %s  %s:%.16s…\n", m.Segment, m.Recorder, m.Seq,
					m.Start.Format("2006-01-02 15:04:05.000Z"), m.End.Format("15:04:05.000Z"), m.Alg, m.SegmentHash)
			}
		}
	}
	for _, s := range rep.Slices {
		fmt.Fprintf(w, "chain %s: seq %d–%d, %d manifests (%d segments, %d chain-only)\n", s.Recorder, s.FirstSeq, s.LastSeq,
			s.Manifests, s.Segments, s.ChainOnly)
		fmt.Fprintf(w, "  anchor 锚点: seq %d prev_hash %s (the server's manifest hash of seq %d)\n", s.FirstSeq, s.AnchorPrev, s.FirstSeq-1)
		fmt.Fprintf(w, "  end 末端:    seq %d manifest hash %s\n", s.LastSeq, s.LastHash)
	}
	fmt.Fprintf(w, "files: %d listed files match their SHA-256\n", rep.Files)
	fmt.Fprintf(w, "audit: %d entries, seq %d–%d in %d runs of consecutive entries\n", rep.Audit.Entries, rep.Audit.FirstSeq, rep.Audit.LastSeq, rep.Audit.Runs)
	if rep.Scores.Present {
		fmt.Fprintf(w, "scores: %d records, %d matched by their audit entries\n", rep.Scores.Records, rep.Scores.Matched)
	}
	for _, u := range rep.Unlisted {
		fmt.Fprintf(w, "UNLISTED  %s  未列入索引，不能作为证据 (not in the index: proves nothing)\n", u)
	}
	if rep.First != nil {
		fmt.Fprintf(w, "第一个断裂环节 (first broken link): %s\n", rep.First.Error())
		return fmt.Errorf("%w: %w", errArchiveBroken, rep.First)
	}
	segments := 0
	for _, s := range rep.Slices {
		segments += s.Segments
	}
	if segments == 0 {
		fmt.Fprintln(w, "导出包中没有录像片段 (no segments in the export)")
		return fmt.Errorf("%w: no segments in the export", errArchiveBroken)
	}
	fmt.Fprintf(w, "全部通过：%d 个片段的签名、哈希与链，以及审计记录与评分记录均完整 (all %d segments verify: signatures, hashes and chains; audit entries and scoring records intact)\n",
		segments, segments)
	return nil
}
