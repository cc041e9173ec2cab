package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// SignatureFormat identifies SHA256SUMS.sig.
const SignatureFormat = "evalroom-evidence-signature"

// SignatureContext, followed by a newline, is put before SHA256SUMS's
// bytes to form the message the server signs, so that the server key's
// signature over an export can mean nothing else.
const SignatureContext = "evalroom-evidence-export-v1"

// Signature is SHA256SUMS.sig: the server's Ed25519 signature over
// SignatureContext + "\n" + the bytes of SHA256SUMS, which lists every
// other member of the export with its SHA-256. The key is the server's
// export signing key (GET /api/archive/server-key publishes it), never a
// recorder's.
type Signature struct {
	Format      string `json:"format"`
	Algorithm   string `json:"algorithm"`
	SignedFile  string `json:"signed_file"`
	Context     string `json:"context"`
	PublicKey   string `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
	Signature   string `json:"signature"`
}

// memberSum is one line of SHA256SUMS.
type memberSum struct {
	name string
	sha  string
}

var sumLineRE = regexp.MustCompile(`^([0-9a-f]{64})  (\S.*)$`)

// SignedMessage is what the server signs for the SHA256SUMS bytes sums.
func SignedMessage(sums []byte) []byte {
	return append([]byte(SignatureContext+"\n"), sums...)
}

// sumsFile is SHA256SUMS: "<hex>  <name>" per member, sorted by name, as
// sha256sum writes it (so `sha256sum -c SHA256SUMS` checks an unpacked
// export).
func sumsFile(sums []memberSum) []byte {
	sorted := append([]memberSum(nil), sums...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	var b strings.Builder
	for _, s := range sorted {
		b.WriteString(s.sha + "  " + s.name + "\n")
	}
	return []byte(b.String())
}

// parseSums reads SHA256SUMS into name → hex SHA-256.
func parseSums(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" && len(data) == 0 {
			break
		}
		m := sumLineRE.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("第 %d 行格式错误 (line %d is not \"<sha256>  <name>\")", i+1, i+1)
		}
		if _, dup := out[m[2]]; dup {
			return nil, fmt.Errorf("第 %d 行重复列出 %s (line %d lists %s twice)", i+1, m[2], i+1, m[2])
		}
		out[m[2]] = m[1]
	}
	return out, nil
}

// signSums returns SHA256SUMS.sig for sums, signed with priv.
func signSums(priv ed25519.PrivateKey, sums []byte) ([]byte, error) {
	pub := priv.Public().(ed25519.PublicKey)
	sig := Signature{Format: SignatureFormat, Algorithm: "Ed25519", SignedFile: SumsName, Context: SignatureContext,
		PublicKey: base64.StdEncoding.EncodeToString(pub), Fingerprint: Fingerprint(pub),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, SignedMessage(sums)))}
	data, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("evidence signature: %w", err)
	}
	return append(data, '\n'), nil
}

// openSignature parses SHA256SUMS.sig and checks its signature over sums;
// it returns the signing key.
func openSignature(data, sums []byte) (ed25519.PublicKey, error) {
	var sig Signature
	if err := json.Unmarshal(data, &sig); err != nil || sig.Format != SignatureFormat {
		return nil, fmt.Errorf("签名文件无法读取 (the signature file cannot be read)")
	}
	if sig.Algorithm != "Ed25519" || sig.SignedFile != SumsName || sig.Context != SignatureContext {
		return nil, fmt.Errorf("签名文件的算法或签名对象不符 (unexpected algorithm %q, signed file %q or context %q)",
			sig.Algorithm, sig.SignedFile, sig.Context)
	}
	pub, err := base64.StdEncoding.DecodeString(sig.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("签名文件中的公钥无效 (the signature file's public key is not an Ed25519 key)")
	}
	s, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || !ed25519.Verify(pub, SignedMessage(sums), s) {
		return ed25519.PublicKey(pub), fmt.Errorf("签名与 %s 不符：%s 或签名被修改 (the signature does not match %s: it or the signature was changed)",
			SumsName, SumsName, SumsName)
	}
	return ed25519.PublicKey(pub), nil
}

// indexKey describes a public key in the index.
func indexKey(pub ed25519.PublicKey) *IndexKey {
	return &IndexKey{PublicKey: base64.StdEncoding.EncodeToString(pub), Fingerprint: Fingerprint(pub)}
}

// ParseServerKey reads a trusted server key as people hand it over: the
// base64 public key, or its fingerprint ("SHA256:<hex>"). It returns the
// key (nil for a fingerprint) and the fingerprint. Errors wrap
// ErrInvalid.
func ParseServerKey(s string) (ed25519.PublicKey, string, error) {
	s = strings.TrimSpace(s)
	if hexPart, ok := strings.CutPrefix(s, "SHA256:"); ok {
		if b, err := hex.DecodeString(strings.ToLower(hexPart)); err == nil && len(b) == 32 {
			return nil, "SHA256:" + strings.ToLower(hexPart), nil
		}
		return nil, "", fmt.Errorf("%w: 指纹须为 SHA256: 后接 64 位十六进制 (a fingerprint is SHA256: and 64 hex digits)", ErrInvalid)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, "", fmt.Errorf("%w: 服务器公钥须为 base64 的 Ed25519 公钥或其 SHA256: 指纹 (the server key is a base64 Ed25519 key or its SHA256: fingerprint)", ErrInvalid)
	}
	return ed25519.PublicKey(b), Fingerprint(b), nil
}
