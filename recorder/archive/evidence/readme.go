package evidence

import (
	"fmt"
	"strings"
	"time"
)

// readme is README.txt: what the export holds and how to verify it
// offline, in Chinese and in English.
func readme(idx Index) []byte {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
	segments, chainOnly := 0, 0
	for _, r := range idx.Recorders {
		for _, m := range r.Manifests {
			if m.ChainOnly {
				chainOnly++
			} else {
				segments++
			}
		}
	}
	ref := idx.SessionRef
	if ref == "" {
		ref = "-"
	}

	p("评标录像证据导出包 / Evidence export of an evaluation session")
	p("==========================================================")
	p("")
	p("评标场次 session: %d (%s)    评标室 rooms: %v", idx.Session, ref, idx.Rooms)
	p("时间范围 span (UTC): %s — %s", ts(idx.From), ts(idx.To))
	p("导出时间 written: %s    导出人 by: %s", ts(idx.CreatedAt), idx.CreatedBy)
	p("录像片段 segments: %d    仅用于链接的清单 chain-only manifests: %d    审计记录 audit entries: %d",
		segments, chainOnly, idx.AuditEntries)
	p("")
	if k := idx.ServerKey; k != nil {
		p("服务器签名 server signature (%s, %s):", SumsName, SignatureName)
		p("  服务器导出签名公钥 the server's export signing key (Ed25519, base64): %s", k.PublicKey)
		p("  指纹 fingerprint: %s", k.Fingerprint)
		p("  请与服务器公布的指纹核对 (GET /api/archive/server-key)；签名密钥由服务器主密钥派生，不是任何录像设备的密钥。")
		p("  Compare it with the fingerprint the server publishes at GET /api/archive/server-key; the key is derived")
		p("  from the server's master key and is never a recorder's key.")
	} else {
		p("服务器签名 server signature: 无 (this export is not signed by the server)")
	}
	p("")
	p("各录像设备的哈希链片段 / each recorder's chain slice:")
	for _, r := range idx.Recorders {
		p("  %s (评标室 room %d): 序号 seq %d–%d", r.Recorder, r.Room, r.FirstSeq, r.LastSeq)
		p("      锚点 anchor: 序号 %d 的前一清单哈希 prev_hash of seq %d = %s", r.FirstSeq, r.FirstSeq, r.AnchorPrev)
		p("      末端 end: 序号 %d 的清单哈希 manifest hash of seq %d = %s", r.LastSeq, r.LastSeq, r.LastHash)
		for _, k := range r.Keys {
			p("      公钥 key %s  有效期 in force %s", k.Fingerprint, keySpan(k))
		}
	}
	p("")
	p("一、内容")
	p("  README.txt        本说明")
	p("  export.json       索引：场次、评标室、时间范围、各设备的链片段、各文件的 SHA-256")
	p("  keys.txt          各录像设备登记过的全部 Ed25519 公钥（base64），注明指纹与有效期（export.json 中亦有）")
	p("  recorders/<设备>/  录像片段（fMP4，可用 ffprobe/ffplay 或浏览器播放）及其签名清单 *.manifest.json")
	p("  scores.json       评分记录（含更正记录，更正记录以 corrects 指向被更正的记录）")
	p("  session.json      评标场次信息（如有）")
	p("  audit.jsonl       与本场次、其评标室及录像片段有关的审计记录，每行一条，含哈希链字段")
	p("  SHA256SUMS        其他全部文件的 SHA-256（sha256sum 格式）")
	p("  SHA256SUMS.sig    服务器对 SHA256SUMS 的 Ed25519 签名（JSON，含签名公钥及其指纹）")
	p("")
	p("二、离线校验")
	p("  1. 用 evalroomctl 校验（不需要网络）：")
	p("       evalroomctl archive verify 本文件.zip")
	p("     默认使用包内 keys.txt 的公钥，只能证明包内容自洽；要证明来源，请向服务器或登记部门")
	p("     取得登记的公钥，另存为文件（每行“<设备编号> <base64 公钥>”），再执行：")
	p("       evalroomctl archive verify --keys 公钥文件 本文件.zip")
	p("     要证明导出包出自服务器且未被改动，再给出服务器公布的签名公钥或其指纹：")
	p("       evalroomctl archive verify --server-key SHA256:指纹 本文件.zip")
	p("     被修改、删除或加入的文件会逐一列出。")
	p("     全部通过时退出码为 0；否则指出第一个断裂环节，退出码非 0。")
	p("  2. 手工校验（任何语言均可实现）：")
	p("     a) 片段哈希：对每个片段计算 SHA-256（或清单 hash_alg 指定的 SM3），与清单 segment.hash 及 size 比较。")
	p("     b) 签名：清单去掉 signature 成员后的规范 JSON（RFC 8785 子集：成员按键排序、无空白、时间为")
	p("        UTC 九位小数）即被签名的字节；用该设备公钥以 Ed25519 验证 signature（base64）。")
	p("     c) 哈希链：清单文件（含 signature、去掉末尾换行）按其 hash_alg 计算的哈希即链接值；下一清单的 prev_hash 必须等于它，")
	p("        seq 必须连续。链片段第一个清单的 prev_hash 为锚点，可与服务器上该设备序号前一清单的哈希核对。")
	p("     d) 审计记录：hash = SHA-256(prev_hash ‖ 8 字节大端 seq ‖ 依次为 at、actor、action、object、detail，")
	p("        每项前加 4 字节大端长度)；相邻序号的记录 prev_hash 必须等于前一条的 hash。")
	p("     e) 评分记录：scores.json 中每条记录都应有同编号的 score.record / score.correct 审计记录与之一致。")
	p("     f) 公钥：每个清单须用服务器接收该片段时（export.json 中该清单的 accepted_at）有效的公钥验证，即")
	p("        registered_at ≤ accepted_at < retired_at 的那一把；停用后才签名的清单不被接收。")
	p("     g) 服务器签名：解压后执行 sha256sum -c SHA256SUMS，并确认没有 SHA256SUMS 未列出的文件；被签名的字节为")
	p("        一行 \"%s\"（含换行）后接 SHA256SUMS 的全部字节，用 SHA256SUMS.sig 中的公钥以 Ed25519 验证其 signature；", SignatureContext)
	p("        该公钥的指纹（SHA256: 后接公钥 32 字节的 SHA-256 十六进制）须与服务器公布的一致。例如用 OpenSSL：")
	p("          (printf '\\x30\\x2a\\x30\\x05\\x06\\x03\\x2b\\x65\\x70\\x03\\x21\\x00'; echo 公钥base64 | base64 -d) | openssl pkey -pubin -inform DER -out server.pem")
	p("          (printf '%s\\n'; cat SHA256SUMS) > signed.bin; echo 签名base64 | base64 -d > sig.bin", SignatureContext)
	p("          openssl pkeyutl -verify -pubin -inkey server.pem -rawin -in signed.bin -sigfile sig.bin")
	p("")
	p("1. Contents")
	p("  README.txt        this file")
	p("  export.json       the index: session, rooms, time span, each recorder's chain slice, each file's SHA-256")
	p("  keys.txt          the recorders' registered Ed25519 public keys (base64) when the export was written")
	p("  recorders/<id>/   the segments (fragmented MP4; ffprobe/ffplay or a browser plays them) and their signed")
	p("                    manifests *.manifest.json")
	p("  scores.json       the scoring records, corrections included (a correction's corrects names the record it")
	p("                    corrects)")
	p("  session.json      the evaluation session (when present)")
	p("  audit.jsonl       the audit entries about the session, its rooms and its segments, one per line, with")
	p("                    their hash-chain fields")
	p("  SHA256SUMS        the SHA-256 of every other member (sha256sum format)")
	p("  SHA256SUMS.sig    the server's Ed25519 signature over SHA256SUMS (JSON, with the signing key and its")
	p("                    fingerprint)")
	p("")
	p("2. Verifying offline")
	p("  1. With evalroomctl (no network needed):")
	p("       evalroomctl archive verify this-file.zip")
	p("     By default the keys in keys.txt are used, which proves internal consistency only. To prove the origin,")
	p("     obtain the registered keys from the server or the registering office, save them one")
	p("     \"<recorder-id> <base64 key>\" per line, and run:")
	p("       evalroomctl archive verify --keys KEYFILE this-file.zip")
	p("     To prove the export comes from the server unchanged, also give the server's published signing key or its")
	p("     fingerprint:")
	p("       evalroomctl archive verify --server-key SHA256:FINGERPRINT this-file.zip")
	p("     Every file altered, removed or added is named.")
	p("     It exits 0 when every link holds; otherwise it names the first broken link and exits non-zero.")
	p("  2. By hand (any language can do it):")
	p("     a) segment hash: SHA-256 (or SM3 when the manifest's hash_alg says so) of each segment must equal the")
	p("        manifest's segment.hash, and its length segment.size.")
	p("     b) signature: the signed bytes are the manifest's canonical JSON without its signature member (an")
	p("        RFC 8785 subset: members sorted by key, no whitespace, UTC times with nine fractional digits);")
	p("        verify signature (base64) with the recorder's Ed25519 public key.")
	p("     c) hash chain: the hash (by its hash_alg) of a manifest file (signature included, trailing newline removed)")
	p("        is its link;")
	p("        the next manifest's prev_hash must equal it and seqs must be contiguous. The first manifest's")
	p("        prev_hash is the slice's anchor: the server holds the same value as the hash of the manifest")
	p("        before it.")
	p("     d) audit entries: hash = SHA-256(prev_hash || seq as 8 bytes big-endian || at, actor, action, object,")
	p("        detail, each preceded by its length as 4 bytes big-endian); an entry following its predecessor's")
	p("        seq must carry that entry's hash as prev_hash.")
	p("     e) scoring records: each record of scores.json must match the score.record / score.correct audit")
	p("        entry with its id.")
	p("     f) keys: each manifest must verify with the recorder's key in force when the server accepted its segment")
	p("        (the manifest's accepted_at in export.json): the key with registered_at <= accepted_at < retired_at.")
	p("        A manifest signed with a key after it was retired is never accepted.")
	p("     g) server signature: unpack, run sha256sum -c SHA256SUMS, and check that it lists every file (none added); the")
	p("        signed bytes are the line \"%s\" (with its newline) followed by SHA256SUMS; verify the signature", SignatureContext)
	p("        of SHA256SUMS.sig with its Ed25519 public key, whose fingerprint (SHA256: and the hex SHA-256 of the")
	p("        key's 32 bytes) must equal the one the server publishes. With OpenSSL, see the commands above.")
	return []byte(b.String())
}

// keySpan is a key's period in the index for people.
func keySpan(k IndexKey) string {
	p := KeyPeriod{RetiredAt: k.RetiredAt}
	if k.RegisteredAt != nil {
		p.RegisteredAt = *k.RegisteredAt
	}
	return p.Span()
}
