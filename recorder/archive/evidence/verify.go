package evidence

import (
	"archive/zip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// maxTextMember bounds what Verify reads into memory of a text member
// (index, keys, manifests, scores, audit).
const maxTextMember = 256 << 20

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Keys, when set, are the keys trusted for the signatures; keys.txt
	// is then only compared with them. When nil the export's keys.txt is
	// used, which proves internal consistency only.
	Keys manifest.Keys
	// TimeSlack is the allowed overlap of consecutive segments of a
	// stream; manifest.DefaultTimeSlack when zero.
	TimeSlack time.Duration
	// ServerKey or ServerFingerprint ("SHA256:<hex>"), when set, is the
	// server's export signing key the caller trusts (GET
	// /api/archive/server-key): the export must then carry the server's
	// signature (SHA256SUMS.sig) made with it. When neither is set a
	// signature is checked with the key it names, which proves internal
	// consistency only.
	ServerKey         ed25519.PublicKey
	ServerFingerprint string
}

// Report is the outcome of Verify.
type Report struct {
	// Index is export.json (nil when absent or unreadable).
	Index *Index `json:"index,omitempty"`
	// ExternalKeys tells whether the signatures were checked with keys
	// the caller trusts (VerifyOptions.Keys) rather than keys.txt.
	ExternalKeys bool `json:"external_keys"`
	// KeyMismatches names recorders whose key in keys.txt differs from
	// the trusted one (ExternalKeys only).
	KeyMismatches []string `json:"key_mismatches,omitempty"`
	// Signature is the check of the server's signature and of the
	// members it lists.
	Signature SignatureReport `json:"signature"`
	// Slices has one report per recorder, by recorder id.
	Slices []SliceReport `json:"slices"`
	// Audit and Scores are the checks of audit.jsonl and scores.json.
	Audit  AuditReport  `json:"audit"`
	Scores ScoresReport `json:"scores"`
	// Files counts the listed files whose SHA-256 matched.
	Files int `json:"files"`
	// Unlisted are members no check accounts for (they prove nothing).
	Unlisted []string `json:"unlisted,omitempty"`
	// Breaks lists the first broken link of each check, in the order
	// checked: signature and keys, slices, files, audit, scores; and then
	// every member altered, missing or added since the server signed.
	Breaks []*Break `json:"breaks,omitempty"`
	// First is the first broken link; nil when every link holds.
	First *Break `json:"first_broken,omitempty"`
}

// OK reports whether every link holds.
func (r Report) OK() bool { return r.First == nil }

// Err is nil when every link holds, else an error wrapping ErrBroken
// that names the first broken link.
func (r Report) Err() error {
	if r.First == nil {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrBroken, r.First.Error())
}

// VerifyFile opens the export at p and verifies it (see Verify).
func VerifyFile(ctx context.Context, p string, opts VerifyOptions) (Report, error) {
	f, err := os.Open(p)
	if err != nil {
		return Report{}, fmt.Errorf("verify export: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Report{}, fmt.Errorf("verify export: %w", err)
	}
	return Verify(ctx, f, st.Size(), opts)
}

// Verify checks an export offline (see the package documentation for
// what). It returns an error only when the file is no export
// (ErrNotExport) or ctx ends; broken links are in the Report.
func Verify(ctx context.Context, ra io.ReaderAt, size int64, opts VerifyOptions) (Report, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrNotExport, err)
	}
	if opts.TimeSlack == 0 {
		opts.TimeSlack = manifest.DefaultTimeSlack
	}
	v := &verifier{members: map[string]*zip.File{}, used: map[string]bool{}, sums: map[string]string{}}
	var rep Report
	for _, f := range zr.File {
		if _, dup := v.members[f.Name]; dup {
			rep.note(NewBreak(KindFileHash, f.Name, "压缩包中有同名的重复成员 (the ZIP holds this member twice)"))
		}
		v.members[f.Name] = f
	}
	if _, ok := v.members[IndexName]; !ok {
		return Report{}, fmt.Errorf("%w: no %s", ErrNotExport, IndexName)
	}
	v.used[ReadmeName], v.used[IndexName], v.used[KeysName] = true, true, true
	v.used[SumsName], v.used[SignatureName] = true, true
	if data, err := v.read(IndexName); err == nil {
		var idx Index
		if json.Unmarshal(data, &idx) == nil && idx.Format == Format {
			rep.Index = &idx
		}
	}
	if rep.Index == nil {
		rep.note(NewBreak(KindFileHash, IndexName, "索引无法读取或不是证据导出索引 (the index cannot be read or is not an evidence index)"))
	}
	sums := v.signature(&rep, opts)
	keys, err := v.keys(&rep, opts.Keys)
	if err != nil {
		return Report{}, err
	}
	if err := v.slices(ctx, &rep, keys, opts.TimeSlack); err != nil {
		return Report{}, err
	}
	v.files(&rep)
	var lines []AuditLine
	if _, ok := v.members[AuditName]; ok {
		v.used[AuditName] = true
		rc, err := v.open(AuditName)
		if err != nil {
			rep.note(NewBreak(KindAuditHash, AuditName, err.Error()))
		} else {
			rep.Audit, lines = checkAudit(io.LimitReader(rc, maxTextMember))
			rc.Close()
			rep.note(rep.Audit.First)
		}
	}
	if _, ok := v.members[ScoresName]; ok {
		v.used[ScoresName] = true
		data, err := v.read(ScoresName)
		if err != nil {
			rep.Scores = ScoresReport{Present: true, First: NewBreak(KindScoreUnaudited, ScoresName, err.Error())}
		} else {
			rep.Scores = checkScores(data, lines)
		}
		rep.note(rep.Scores.First)
	}
	for name, f := range v.members {
		if !v.used[name] && !f.FileInfo().IsDir() {
			rep.Unlisted = append(rep.Unlisted, name)
		}
	}
	sort.Strings(rep.Unlisted)
	if err := v.checkSums(ctx, &rep, sums); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// note records a check's first break.
func (r *Report) note(b *Break) {
	if b == nil {
		return
	}
	r.Breaks = append(r.Breaks, b)
	if r.First == nil {
		r.First = b
	}
}

// verifier holds an open export's members.
type verifier struct {
	members map[string]*zip.File
	used    map[string]bool
	// sums holds the SHA-256 (hex) of each member read to its end, so
	// that the check against SHA256SUMS reads no member twice.
	sums map[string]string
}

// open opens a member; reading it to its end records its SHA-256.
func (v *verifier) open(name string) (io.ReadCloser, error) {
	f, ok := v.members[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, os.ErrNotExist)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	return &hashingReader{rc: rc, h: sha256.New(), done: func(sum string) { v.sums[name] = sum }}, nil
}

// read returns a text member's bytes (CRC checked by archive/zip).
func (v *verifier) read(name string) ([]byte, error) {
	rc, err := v.open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxTextMember+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxTextMember {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxTextMember)
	}
	return data, nil
}

// slices checks each recorder's chain slice: the manifests found under
// recorders/<id>/ together with those the index lists.
func (v *verifier) slices(ctx context.Context, rep *Report, keys manifest.Keys, slack time.Duration) error {
	listed := map[string]IndexManifest{}
	recs := map[string]bool{}
	if rep.Index != nil {
		for _, r := range rep.Index.Recorders {
			recs[r.Recorder] = true
			for _, m := range r.Manifests {
				listed[m.Manifest] = m
			}
		}
	}
	byRec := map[string][]string{}
	for name := range v.members {
		rest, ok := strings.CutPrefix(name, RecordersDir)
		if !ok || !strings.HasSuffix(name, ".manifest.json") {
			continue
		}
		rec, _, ok := strings.Cut(rest, "/")
		if !ok || path.Dir(name) != path.Join(RecordersDir, rec) {
			continue
		}
		recs[rec] = true
		byRec[rec] = append(byRec[rec], name)
	}
	for name := range listed {
		if _, ok := v.members[name]; !ok {
			rec := strings.SplitN(strings.TrimPrefix(name, RecordersDir), "/", 2)[0]
			byRec[rec] = append(byRec[rec], name)
		}
	}
	ids := make([]string, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		names := byRec[id]
		sort.Strings(names)
		var links []Link
		for _, name := range names {
			links = append(links, v.link(name, listed))
		}
		sr, err := CheckSlice(ctx, id, keys, links, slack)
		if err != nil {
			return err
		}
		if len(links) == 0 {
			sr.First = NewBreak(KindMalformed, RecordersDir+id+"/", "索引列出的录像设备没有任何清单 (the index lists the recorder but the export holds none of its manifests)")
		}
		rep.Slices = append(rep.Slices, sr)
		rep.note(sr.First)
	}
	return nil
}

// link builds the Link of the manifest member name: its segment is the
// member the index names, else the manifest's segment name beside it;
// it is chain-only when the index says so and the segment is absent.
func (v *verifier) link(name string, listed map[string]IndexManifest) Link {
	l := Link{Name: name, Seq: listed[name].Seq}
	if at := listed[name].AcceptedAt; at != nil {
		l.KeyAt = *at
	}
	if _, ok := v.members[name]; !ok {
		return l // listed but absent
	}
	v.used[name] = true
	data, err := v.read(name)
	if err != nil {
		l.Raw = []byte{} // unreadable: reported as malformed
		return l
	}
	l.Raw = data
	segName := ""
	im, isListed := listed[name]
	switch {
	case isListed && im.Segment != "":
		segName = im.Segment
	case isListed && im.ChainOnly:
	default:
		if m, err := manifest.Parse(trimNewline(data)); err == nil {
			segName = path.Join(path.Dir(name), m.Segment)
		}
	}
	if _, ok := v.members[segName]; ok && segName != "" {
		v.used[segName] = true
		l.Open = func(context.Context) (io.ReadCloser, error) { return v.open(segName) }
		return l
	}
	l.ChainOnly = isListed && im.ChainOnly
	return l
}

// files checks the listed files' SHA-256.
func (v *verifier) files(rep *Report) {
	if rep.Index == nil {
		return
	}
	for _, f := range rep.Index.Files {
		v.used[f.Name] = true
		data, err := v.read(f.Name)
		if errors.Is(err, os.ErrNotExist) {
			rep.note(NewBreak(KindFileHash, f.Name, "索引列出的文件缺失 (listed file missing)"))
			continue
		}
		if err != nil {
			rep.note(NewBreak(KindFileHash, f.Name, err.Error()))
			continue
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 || int64(len(data)) != f.Size {
			rep.note(NewBreak(KindFileHash, f.Name, fmt.Sprintf("索引记录 %d 字节 %s，实为 %d 字节 %s (index says %d bytes, found %d)",
				f.Size, f.SHA256, len(data), got, f.Size, len(data))))
			continue
		}
		rep.Files++
	}
}

// KeyLine formats a recorder's key as a keys.txt line.
func KeyLine(recorder string, pub ed25519.PublicKey) string {
	return recorder + " " + base64.StdEncoding.EncodeToString(pub)
}
