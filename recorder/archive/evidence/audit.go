package evidence

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
)

// AuditLine is one line of audit.jsonl: an audit entry with the fields
// its hash covers written exactly as hashed (at in RFC 3339 with
// nanoseconds, detail byte for byte) and its hash-chain fields in hex.
type AuditLine struct {
	Seq      int64           `json:"seq"`
	At       string          `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	Detail   json.RawMessage `json:"detail"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// lineOf is e as a line.
func lineOf(e audit.Entry) AuditLine {
	return AuditLine{Seq: e.Seq, At: e.At.UTC().Format(time.RFC3339Nano), Actor: e.Actor, Action: e.Action,
		Object: e.Object, Detail: e.Detail, PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)}
}

// entry is the line as an audit.Entry.
func (l AuditLine) entry() (audit.Entry, error) {
	at, err := time.Parse(time.RFC3339Nano, l.At)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("at %q: %w", l.At, err)
	}
	prev, err := hex.DecodeString(l.PrevHash)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("prev_hash: %w", err)
	}
	h, err := hex.DecodeString(l.Hash)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("hash: %w", err)
	}
	return audit.Entry{Seq: l.Seq, At: at, Actor: l.Actor, Action: l.Action, Object: l.Object,
		Detail: l.Detail, PrevHash: prev, Hash: h}, nil
}

// encodeAudit writes entries as JSON lines, detail byte for byte.
func encodeAudit(entries []audit.Entry) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if err := enc.Encode(lineOf(e)); err != nil {
			return nil, fmt.Errorf("audit entry %d: %w", e.Seq, err)
		}
	}
	return b.Bytes(), nil
}

// AuditReport is the outcome of checking audit.jsonl.
type AuditReport struct {
	// Entries counts the lines; FirstSeq and LastSeq are the lowest and
	// highest seq.
	Entries  int   `json:"entries"`
	FirstSeq int64 `json:"first_seq,omitempty"`
	LastSeq  int64 `json:"last_seq,omitempty"`
	// Runs counts the runs of consecutive seqs: each run's links are
	// checked; between runs, the server's log (GET /api/audit/verify)
	// confirms the entries left out.
	Runs int `json:"runs"`
	// First is the first broken entry, nil when all hold.
	First *Break `json:"first_broken,omitempty"`
}

// checkAudit reads audit.jsonl: each entry must match its hash
// (audit.ComputeHash over its fields and prev_hash), seqs must increase,
// and an entry following its predecessor's seq must carry that entry's
// hash as prev_hash. It also returns the parsed lines.
func checkAudit(r io.Reader) (AuditReport, []AuditLine) {
	var rep AuditReport
	var lines []AuditLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	brk := func(n int, seq int64, format string, a ...any) {
		if rep.First == nil {
			b := NewBreak(KindAuditHash, fmt.Sprintf("%s:%d", AuditName, n), fmt.Sprintf(format, a...))
			b.Seq = seq
			rep.First = b
		}
	}
	var prev *audit.Entry
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var l AuditLine
		if err := dec.Decode(&l); err != nil {
			brk(n, 0, "无法解析 (cannot parse): %v", err)
			continue
		}
		e, err := l.entry()
		if err != nil {
			brk(n, l.Seq, "无法解析 (cannot parse): %v", err)
			continue
		}
		lines = append(lines, l)
		rep.Entries++
		if rep.FirstSeq == 0 {
			rep.FirstSeq = e.Seq
		}
		switch {
		case !bytes.Equal(audit.ComputeHash(e), e.Hash):
			brk(n, e.Seq, "审计记录 %d 的内容与其哈希不符 (entry %d does not match its hash)", e.Seq, e.Seq)
		case prev != nil && e.Seq <= prev.Seq:
			brk(n, e.Seq, "序号 %d 不大于前一条的 %d (seq %d after %d)", e.Seq, prev.Seq, e.Seq, prev.Seq)
		case prev != nil && e.Seq == prev.Seq+1 && !bytes.Equal(e.PrevHash, prev.Hash):
			brk(n, e.Seq, "审计记录 %d 未链接到记录 %d (entry %d does not link to entry %d)", e.Seq, prev.Seq, e.Seq, prev.Seq)
		case e.Seq == 1 && !bytes.Equal(e.PrevHash, audit.GenesisHash):
			brk(n, e.Seq, "第一条审计记录应链接到全零哈希 (entry 1 must link to the zero hash)")
		}
		if prev == nil || e.Seq != prev.Seq+1 {
			rep.Runs++
		}
		rep.LastSeq = e.Seq
		prev = &e
	}
	if err := sc.Err(); err != nil {
		brk(0, 0, "读取失败 (read failed): %v", err)
	}
	return rep, lines
}
