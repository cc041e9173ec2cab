package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// Damage is a segment whose stored bytes did not match its key while
// Write copied them: the export holds them as stored, and Verify will
// name the link.
type Damage struct {
	Recorder string
	Seq      int64
	Key      string
	Detail   string
}

// Written is the outcome of Write.
type Written struct {
	// Index is export.json as written.
	Index Index
	// Bytes is the segments' total size.
	Bytes int64
	// Damaged lists segments whose bytes did not hash to their key.
	Damaged []Damage
}

// Write writes c as an export to w, a ZIP stream: the fixed members and
// the files first, then each recorder's manifests and segments. Segments
// are copied as stored (hashed on the way; a mismatch is reported in
// Written.Damaged, not hidden). Errors: ErrInvalid for bad Content (before
// anything is written), the errors of w and of the segments' Open.
func Write(ctx context.Context, w io.Writer, c Content) (Written, error) {
	if err := c.check(); err != nil {
		return Written{}, err
	}
	auditData, err := encodeAudit(c.Audit)
	if err != nil {
		return Written{}, err
	}
	idx := buildIndex(c, auditData)
	idxData, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return Written{}, fmt.Errorf("evidence index: %w", err)
	}
	zw := zip.NewWriter(w)
	out := Written{Index: idx}
	var sums []memberSum
	put := func(name string, method uint16, data []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: c.CreatedAt})
		if err != nil {
			return fmt.Errorf("evidence %s: %w", name, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("evidence %s: %w", name, err)
		}
		sum := sha256.Sum256(data)
		sums = append(sums, memberSum{name: name, sha: hex.EncodeToString(sum[:])})
		return nil
	}
	if err := put(ReadmeName, zip.Deflate, readme(idx)); err != nil {
		return out, err
	}
	if err := put(IndexName, zip.Deflate, append(idxData, '\n')); err != nil {
		return out, err
	}
	if err := put(KeysName, zip.Deflate, keysFile(c)); err != nil {
		return out, err
	}
	for _, f := range c.Files {
		if err := put(f.Name, zip.Deflate, f.Data); err != nil {
			return out, err
		}
	}
	if err := put(AuditName, zip.Deflate, auditData); err != nil {
		return out, err
	}
	for _, r := range c.Recorders {
		mans, segs := memberNames(r)
		for i, s := range r.Segments {
			if err := put(mans[i], zip.Deflate, withNewline(s.Manifest)); err != nil {
				return out, err
			}
			if s.ChainOnly {
				continue
			}
			n, got, d, err := copySegment(ctx, zw, segs[i], c, s)
			if err != nil {
				return out, err
			}
			sums = append(sums, memberSum{name: segs[i], sha: got})
			out.Bytes += n
			if d != "" {
				out.Damaged = append(out.Damaged, Damage{Recorder: r.ID, Seq: s.Seq, Key: s.Key, Detail: d})
			}
		}
	}
	if c.Signer != nil {
		// Last, once every member's bytes are known: the list of members
		// and the server's signature over it.
		list := sumsFile(sums)
		sig, err := signSums(c.Signer, list)
		if err != nil {
			return out, err
		}
		if err := put(SumsName, zip.Deflate, list); err != nil {
			return out, err
		}
		if err := put(SignatureName, zip.Deflate, sig); err != nil {
			return out, err
		}
	}
	if err := zw.Close(); err != nil {
		return out, fmt.Errorf("evidence: %w", err)
	}
	return out, nil
}

// copySegment stores one segment's bytes under name, hashing them; it
// returns the size, the SHA-256 of the bytes written and, when they do
// not match s, what differs.
func copySegment(ctx context.Context, zw *zip.Writer, name string, c Content, s Segment) (int64, string, string, error) {
	src, err := s.Open(ctx)
	if err != nil {
		return 0, "", "", fmt.Errorf("evidence %s: %w", name, err)
	}
	defer src.Close()
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: c.CreatedAt})
	if err != nil {
		return 0, "", "", fmt.Errorf("evidence %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(fw, h), &ctxReader{ctx: ctx, r: src})
	if err != nil {
		return n, "", "", fmt.Errorf("evidence %s: %w", name, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != s.Key || n != s.Size {
		return n, got, fmt.Sprintf("stored bytes: %d bytes sha256 %s; index: %d bytes %s", n, got, s.Size, s.Key), nil
	}
	return n, got, "", nil
}

// buildIndex describes c.
func buildIndex(c Content, auditData []byte) Index {
	idx := Index{Format: Format, Version: Version, CreatedAt: c.CreatedAt.UTC(), CreatedBy: c.CreatedBy,
		Session: c.Session, SessionRef: c.SessionRef, Rooms: c.Rooms, From: c.From.UTC(), To: c.To.UTC(),
		Recorders: []IndexRecorder{}, AuditEntries: len(c.Audit)}
	if idx.Rooms == nil {
		idx.Rooms = []int64{}
	}
	for _, r := range c.Recorders {
		mans, segs := memberNames(r)
		ir := IndexRecorder{Recorder: r.ID, Room: r.Room, PublicKey: base64.StdEncoding.EncodeToString(r.publicKey())}
		for _, k := range r.Keys {
			ik := indexKey(k.PublicKey)
			ik.Room, ik.RetiredAt = k.Room, utcPtr(k.RetiredAt)
			if !k.RegisteredAt.IsZero() {
				ik.RegisteredAt = utcPtr(&k.RegisteredAt)
			}
			ir.Keys = append(ir.Keys, *ik)
		}
		for i, s := range r.Segments {
			im := IndexManifest{Seq: s.Seq, Manifest: mans[i], SegmentKey: s.Key, Size: s.Size, ChainOnly: s.ChainOnly}
			if !s.AcceptedAt.IsZero() {
				im.AcceptedAt = utcPtr(&s.AcceptedAt)
			}
			if !s.ChainOnly {
				im.Segment = segs[i]
			}
			ir.Manifests = append(ir.Manifests, im)
		}
		if n := len(r.Segments); n > 0 {
			first, last := parseQuiet(r.Segments[0].Manifest), parseQuiet(r.Segments[n-1].Manifest)
			ir.FirstSeq, ir.AnchorPrev = first.Seq, first.Prev.String()
			ir.LastSeq = last.Seq
			if h, err := last.Hash(); err == nil {
				ir.LastHash = h.String()
			}
		}
		idx.Recorders = append(idx.Recorders, ir)
	}
	for _, f := range c.Files {
		idx.Files = append(idx.Files, fileEntry(f.Name, f.Data))
	}
	idx.Files = append(idx.Files, fileEntry(AuditName, auditData))
	if c.Signer != nil {
		idx.ServerKey = indexKey(c.Signer.Public().(ed25519.PublicKey))
	}
	return idx
}

// utcPtr is a copy of *t in UTC; nil for nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func fileEntry(name string, data []byte) IndexFile {
	sum := sha256.Sum256(data)
	return IndexFile{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

// parseQuiet parses a manifest the archive accepted (zero on error).
func parseQuiet(raw []byte) manifest.Manifest {
	m, _ := manifest.Parse(trimNewline(raw))
	return m
}

// keysFile is keys.txt: one "<recorder-id> <base64 key>" line per key
// every recorder ever had (recorders sorted, keys oldest first), each
// after a comment with its fingerprint and the period it was in force.
func keysFile(c Content) []byte {
	var b strings.Builder
	b.WriteString("# 录像设备登记过的全部公钥 (Ed25519, base64)，每把公钥前注明指纹与有效期；每个清单用服务器接收该片段时有效的公钥校验\n")
	b.WriteString("# every public key the recorders were ever registered with, each after its fingerprint and the period it was\n")
	b.WriteString("# in force; each manifest verifies with the key in force when the server accepted its segment\n")
	b.WriteString("# 格式 format: <recorder-id> <base64 public key>\n")
	recs := append([]Recorder(nil), c.Recorders...)
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	for _, r := range recs {
		for _, k := range r.keyPeriods() {
			if len(r.Keys) > 0 {
				fmt.Fprintf(&b, "# %s %s 有效期 in force %s\n", r.ID, Fingerprint(k.PublicKey), k.Span())
			}
			b.WriteString(KeyLine(r.ID, k.PublicKey) + "\n")
		}
	}
	return []byte(b.String())
}

func withNewline(b []byte) []byte {
	if bytes.HasSuffix(b, []byte("\n")) {
		return b
	}
	return append(append([]byte(nil), b...), '\n')
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
