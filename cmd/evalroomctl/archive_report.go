package main

import (
	"fmt"
	"io"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// printArchiveReport prints one line per segment, the chains and the
// verdict; it returns errArchiveBroken (wrapping the first break) when a
// link is broken or there was nothing to verify.
func printArchiveReport(w io.Writer, rep manifest.Report) error {
	for _, r := range rep.Results {
		m := r.Manifest
		if r.Break != nil {
			fmt.Fprintf(w, "BROKEN    %s  %s\n", r.Name, r.Break.Kind.Reason())
			continue
		}
		fmt.Fprintf(w, "OK        %s  %s #%d  %s – %s  %s:%.16s…\n", m.Segment, m.Recorder, m.Seq,
			m.Start.Format("2006-01-02 15:04:05.000Z"), m.End.Format("15:04:05.000Z"), m.Alg, m.SegmentHash)
	}
	for _, s := range rep.Unsigned {
		fmt.Fprintf(w, "UNSIGNED  %s  没有清单，不能作为证据 (no manifest: proves nothing)\n", s)
	}
	for _, c := range rep.Chains {
		fmt.Fprintf(w, "chain %s: seq %d–%d, %d manifests\n", c.Recorder, c.FirstSeq, c.LastSeq, c.Count)
	}
	if rep.First != nil {
		fmt.Fprintf(w, "第一个断裂环节 (first broken link): %s\n", rep.First.Error())
		return fmt.Errorf("%w: %w", errArchiveBroken, rep.First)
	}
	if len(rep.Results) == 0 {
		fmt.Fprintln(w, "没有找到清单 (no manifests found)")
		return fmt.Errorf("%w: no manifests found", errArchiveBroken)
	}
	fmt.Fprintf(w, "全部通过：%d 个片段的签名、哈希与链均完整 (all %d segments verify: signatures, hashes and chain intact)\n",
		len(rep.Results), len(rep.Results))
	return nil
}
