package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// errArchiveBroken is returned (wrapping the first manifest.Break) when an
// archive does not verify.
var errArchiveBroken = errors.New("archive does NOT verify")

// keyList collects repeated -key flags.
type keyList []string

// String joins the keys (flag.Value).
func (k *keyList) String() string { return strings.Join(*k, ",") }

// Set adds one key (flag.Value).
func (k *keyList) Set(v string) error { *k = append(*k, v); return nil }

// cmdArchiveVerify verifies archived evidence and names the first broken
// link; it fails (non-zero exit) on any break:
//
//   - a local recorder folder: every manifest's signature, its segment's
//     hash, and each recorder's hash chain;
//   - an evidence export file (ZIP), offline: the same, each recorder's
//     chain slice and its anchor (each manifest with the recorder's key in
//     force when the server accepted it), the listed files' hashes, the
//     audit entries' hash chain and the scoring records against the audit
//     log; and the server's signature over the list of every file, with
//     -server-key against the key the server publishes, naming every file
//     altered, removed or added;
//   - with -session ID, a session uploaded to the central archive, through
//     the same configuration as evalroomd (database and archive store):
//     the stored segments are hashed again and the outcome recorded.
func cmdArchiveVerify(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := flag.NewFlagSet("archive verify", flag.ContinueOnError)
	var keyArgs keyList
	fs.Var(&keyArgs, "key", "recorder public key, base64 (repeatable; for any recorder)")
	keysFile := fs.String("keys", "", `file of public keys, one "<recorder-id> <base64>" or "<base64>" per line`)
	genesis := fs.Bool("genesis", false, "require each chain to start at seq 1 (folders)")
	session := fs.Int64("session", 0, "verify this session in the central archive (reads the evalroomd configuration)")
	serverKey := fs.String("server-key", "", "export files: the server's export signing key (base64) or its fingerprint SHA256:<hex>, as GET /api/archive/server-key publishes it; the export must carry its signature")
	if hasFlag(args, "session") {
		return cmdArchiveVerifySession(ctx, fs, session, args, stdout, environ)
	}
	path, err := parseWithPath(fs, args)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("archive verify: %w", err)
	}
	if !st.IsDir() {
		return verifyExportFile(ctx, path, keyArgs, *keysFile, *serverKey, stdout)
	}
	if *serverKey != "" {
		return fmt.Errorf("archive verify: -server-key checks an evidence export file, not a folder")
	}
	keys, note, err := archiveKeys(keyArgs, *keysFile, path)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(stdout, note)
	}
	var opts []manifest.VerifierOption
	if *genesis {
		opts = append(opts, manifest.RequireGenesis())
	}
	rep, err := manifest.VerifySource(ctx, manifest.DirSource{Dir: path}, keys, opts...)
	if err != nil {
		return fmt.Errorf("archive verify: %w", err)
	}
	return printArchiveReport(stdout, rep)
}

// hasFlag reports whether args set the flag name (-name, --name, with or
// without =value).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// trustedKeys builds the key ring of -key and -keys; nil when neither is
// given.
func trustedKeys(keyArgs []string, keysFile string) (*manifest.KeyRing, error) {
	var ring manifest.KeyRing
	for _, k := range keyArgs {
		pub, err := manifest.ParsePublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("archive verify: -key: %w", err)
		}
		ring.Add("", pub)
	}
	if keysFile != "" {
		f, err := os.Open(keysFile)
		if err != nil {
			return nil, fmt.Errorf("archive verify: %w", err)
		}
		defer f.Close()
		if err := ring.ReadKeyRing(f); err != nil {
			return nil, fmt.Errorf("archive verify: %s: %w", keysFile, err)
		}
	}
	if ring.Len() == 0 {
		return nil, nil
	}
	return &ring, nil
}

// parseWithPath parses flags before and after the one positional
// argument, the path.
func parseWithPath(fs *flag.FlagSet, args []string) (string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("%s: give exactly one folder or export file (got %d)", fs.Name(), len(pos))
	}
	return pos[0], nil
}

// archiveKeys builds the key ring from -key and -keys, or else from the
// folder's recorder.pub, with a note that such a key proves only the
// folder's internal consistency.
func archiveKeys(keyArgs []string, keysFile, dir string) (*manifest.KeyRing, string, error) {
	ring, err := trustedKeys(keyArgs, keysFile)
	if err != nil || ring != nil {
		return ring, "", err
	}
	ring = &manifest.KeyRing{}
	data, err := os.ReadFile(filepath.Join(dir, manifest.PublicKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("archive verify: 没有公钥：请用 -key 或 -keys 给出登记的公钥，或在目录中放置 %s (no public key: give -key or -keys, or put %s in the folder)",
			manifest.PublicKeyFile, manifest.PublicKeyFile)
	}
	if err != nil {
		return nil, "", fmt.Errorf("archive verify: %w", err)
	}
	pub, err := manifest.ParsePublicKey(string(data))
	if err != nil {
		return nil, "", fmt.Errorf("archive verify: %s: %w", manifest.PublicKeyFile, err)
	}
	ring.Add("", pub)
	return ring, fmt.Sprintf("注意：公钥取自被检目录中的 %s，只能证明目录内部一致；要证明来源，请用 -key 或 -keys 给出服务器登记的公钥。\n"+
		"note: the key comes from %s inside the folder, which proves internal consistency only; give the registered key with -key or -keys to prove the origin.",
		manifest.PublicKeyFile, manifest.PublicKeyFile), nil
}
