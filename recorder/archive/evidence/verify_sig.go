package evidence

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sort"
)

// SignatureReport is the check of the server's signature: SHA256SUMS.sig
// over SHA256SUMS, and every member against SHA256SUMS.
type SignatureReport struct {
	// Present tells whether the export carries a signature.
	Present bool `json:"present"`
	// Valid tells whether the signature verifies over SHA256SUMS with
	// the key it names, Fingerprint being that key's.
	Valid       bool   `json:"valid"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Trusted tells whether that key is the server key the caller trusts
	// (VerifyOptions.ServerKey or ServerFingerprint); false when none was
	// given, which proves internal consistency only.
	Trusted bool `json:"trusted"`
	// Files counts the listed members whose SHA-256 matched.
	Files int `json:"files"`
	// Altered, Missing and Added name the members changed, removed or
	// added since the server signed.
	Altered []string `json:"altered,omitempty"`
	Missing []string `json:"missing,omitempty"`
	Added   []string `json:"added,omitempty"`
}

// signature checks SHA256SUMS.sig over SHA256SUMS and the signing key
// against the trusted one and the index's; it returns SHA256SUMS parsed
// (nil when absent or unreadable).
func (v *verifier) signature(rep *Report, opts VerifyOptions) map[string]string {
	sr := &rep.Signature
	wantFP := opts.ServerFingerprint
	if len(opts.ServerKey) == ed25519.PublicKeySize {
		wantFP = Fingerprint(opts.ServerKey)
	}
	brk := func(name, detail string) { rep.note(NewBreak(KindSignature, name, detail)) }
	sumsData, errSums := v.read(SumsName)
	sigData, errSig := v.read(SignatureName)
	sr.Present = errSig == nil
	switch {
	case errors.Is(errSums, os.ErrNotExist) && errors.Is(errSig, os.ErrNotExist):
		switch {
		case wantFP != "":
			brk(SignatureName, "导出包没有服务器签名，无法证明出自服务器 (the export carries no server signature)")
		case rep.Index != nil && rep.Index.ServerKey != nil:
			brk(SignatureName, "索引写明导出包已由服务器签名，但签名文件被删除 (the index says the export is signed, but the signature was removed)")
		}
		return nil
	case errSums != nil:
		brk(SumsName, "缺少或无法读取文件清单 (the list of files is missing or unreadable): "+errSums.Error())
		return nil
	case errSig != nil:
		brk(SignatureName, "缺少或无法读取服务器签名 (the server signature is missing or unreadable): "+errSig.Error())
	default:
		pub, err := openSignature(sigData, sumsData)
		if pub != nil {
			sr.Fingerprint = Fingerprint(pub)
		}
		switch {
		case err != nil:
			brk(SignatureName, err.Error())
		case wantFP != "" && sr.Fingerprint != wantFP:
			brk(SignatureName, fmt.Sprintf("导出包由另一把密钥签名（指纹 %s），不是服务器的签名密钥（指纹 %s）(signed with another key, not the server's)",
				sr.Fingerprint, wantFP))
		case rep.Index != nil && rep.Index.ServerKey != nil && rep.Index.ServerKey.Fingerprint != sr.Fingerprint:
			brk(SignatureName, fmt.Sprintf("签名密钥（指纹 %s）不是索引写明的服务器密钥（指纹 %s）(the signing key is not the one the index names)",
				sr.Fingerprint, rep.Index.ServerKey.Fingerprint))
		default:
			sr.Valid, sr.Trusted = true, wantFP != ""
		}
	}
	sums, err := parseSums(sumsData)
	if err != nil {
		brk(SumsName, err.Error())
		return nil
	}
	return sums
}

// checkSums compares every member with SHA256SUMS and names each one
// altered, missing or added; members already read to their end are not
// read again.
func (v *verifier) checkSums(ctx context.Context, rep *Report, sums map[string]string) error {
	if sums == nil {
		return nil
	}
	sr := &rep.Signature
	names := make([]string, 0, len(sums))
	for name := range sums {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, ok := v.members[name]; !ok {
			sr.Missing = append(sr.Missing, name)
			rep.note(NewBreak(KindFileMissing, name, "服务器签名时列出的文件已不在导出包中 (listed when the server signed, absent now)"))
			continue
		}
		got, err := v.memberSum(name)
		if err != nil {
			sr.Altered = append(sr.Altered, name)
			rep.note(NewBreak(KindFileAltered, name, "无法读取，内容已损坏 (cannot be read back intact): "+err.Error()))
			continue
		}
		if got != sums[name] {
			sr.Altered = append(sr.Altered, name)
			rep.note(NewBreak(KindFileAltered, name, fmt.Sprintf("SHA-256 应为 %s，实为 %s (SHA-256 is %s, the server signed %s)", sums[name], got, got, sums[name])))
			continue
		}
		sr.Files++
	}
	var added []string
	for name, f := range v.members {
		if _, listed := sums[name]; !listed && name != SumsName && name != SignatureName && !f.FileInfo().IsDir() {
			added = append(added, name)
		}
	}
	sort.Strings(added)
	for _, name := range added {
		sr.Added = append(sr.Added, name)
		rep.note(NewBreak(KindFileAdded, name, "服务器签名后加入的文件 (added after the server signed)"))
	}
	return nil
}

// memberSum is a member's SHA-256, hashing it unless it was read to its
// end before.
func (v *verifier) memberSum(name string) (string, error) {
	if sum, ok := v.sums[name]; ok {
		return sum, nil
	}
	rc, err := v.open(name)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return "", err
	}
	return v.sums[name], nil
}

// hashingReader hashes what it reads and reports the SHA-256 once the
// member was read to its end (archive/zip has then checked its CRC).
type hashingReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	done func(sum string)
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.h.Write(p[:n])
	if errors.Is(err, io.EOF) && r.done != nil {
		r.done(hex.EncodeToString(r.h.Sum(nil)))
		r.done = nil
	}
	return n, err
}

func (r *hashingReader) Close() error { return r.rc.Close() }
