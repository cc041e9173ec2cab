package main

import (
	"fmt"
	"io"
	"os"

	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// trustedExportKeys reads -key and -keys for an export: every line of
// the keys file counts (a recorder may have had several keys); nil when
// neither is given.
func trustedExportKeys(keyArgs []string, keysFile string) (*evidence.KeyHistory, error) {
	var h evidence.KeyHistory
	for _, k := range keyArgs {
		pub, err := manifest.ParsePublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("archive verify: -key: %w", err)
		}
		h.Add(evidence.KeyPeriod{PublicKey: pub}) // for any recorder
	}
	if keysFile != "" {
		f, err := os.Open(keysFile)
		if err != nil {
			return nil, fmt.Errorf("archive verify: %w", err)
		}
		defer f.Close()
		if err := h.ReadKeyFile(f); err != nil {
			return nil, fmt.Errorf("archive verify: %s: %w", keysFile, err)
		}
	}
	if h.Len() == 0 {
		return nil, nil
	}
	return &h, nil
}

// printSignature prints the server signature's verdict and each file
// altered, removed or added since the server signed.
func printSignature(w io.Writer, rep evidence.Report) {
	s := rep.Signature
	switch {
	case !s.Present && s.Files == 0:
		fmt.Fprintln(w, "SIGNATURE 导出包没有服务器签名 (the export carries no server signature)")
	case s.Valid && s.Trusted:
		fmt.Fprintf(w, "SIGNATURE 服务器签名有效，签名密钥 %s 与给出的服务器公钥一致 (signed by the trusted server key)\n", s.Fingerprint)
	case s.Valid:
		fmt.Fprintf(w, "SIGNATURE 签名有效，签名密钥指纹 %s；未给出服务器公钥，只能证明包内容自洽：请与服务器公布的指纹（GET /api/archive/server-key）核对，或用 -server-key 给出 "+
			"(the signature holds with the key it names; compare its fingerprint with the server's, or give -server-key)\n", s.Fingerprint)
	default:
		fmt.Fprintln(w, "SIGNATURE 服务器签名无效 (the server signature does not hold)")
	}
	for _, name := range s.Altered {
		fmt.Fprintf(w, "ALTERED   %s  服务器签名后被修改 (changed since the server signed)\n", name)
	}
	for _, name := range s.Missing {
		fmt.Fprintf(w, "MISSING   %s  服务器签名后被删除 (removed since the server signed)\n", name)
	}
	for _, name := range s.Added {
		fmt.Fprintf(w, "ADDED     %s  服务器签名后加入 (added since the server signed)\n", name)
	}
	if s.Present || s.Files > 0 {
		fmt.Fprintf(w, "signature: %d files match SHA256SUMS\n", s.Files)
	}
}
