package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// keys returns the keys to check signatures with. An export of version 2
// carries each recorder's key history in export.json (keys.txt must list
// the same keys): each manifest verifies with the key in force when the
// server accepted it. An older export has keys.txt only. Keys the caller
// trusts, when given, replace the export's own: keys.txt and the history
// are compared with them, and a manifest whose key in force is not
// trusted is broken.
func (v *verifier) keys(rep *Report, trusted manifest.Keys) (manifest.Keys, error) {
	var inFile KeyHistory
	if data, err := v.read(KeysName); err == nil {
		if err := inFile.ReadKeyFile(bytes.NewReader(data)); err != nil {
			rep.note(NewBreak(KindKeyList, KeysName, err.Error()))
		}
	}
	hist, ok := v.indexHistory(rep)
	if ok {
		if diff := keyListDiff(hist, &inFile); diff != "" {
			rep.note(NewBreak(KindKeyList, KeysName, diff))
		}
	}
	if trusted == nil {
		if ok {
			return hist, nil
		}
		return &inFile, nil
	}
	rep.ExternalKeys = true
	if rep.Index != nil {
		for _, r := range rep.Index.Recorders {
			in := inFile.Lookup(r.Recorder)
			if ok && len(hist.Periods(r.Recorder)) > 0 {
				in = hist.Lookup(r.Recorder)
			}
			want := trusted.Lookup(r.Recorder)
			mismatch := len(in) == 0
			for _, k := range in {
				if !containsKey(want, k) {
					mismatch = true
				}
			}
			if mismatch {
				rep.KeyMismatches = append(rep.KeyMismatches, r.Recorder)
			}
		}
	}
	if ok {
		return trustedHistory{KeyHistory: hist, trusted: trusted}, nil
	}
	return trusted, nil
}

// indexHistory reads the recorders' key histories from the index; false
// when the index has none (an export before version 2). A key that does
// not decode, or whose fingerprint is not its own, breaks the key list.
func (v *verifier) indexHistory(rep *Report) (*KeyHistory, bool) {
	if rep.Index == nil {
		return nil, false
	}
	h := &KeyHistory{}
	withHistory := false
	for _, r := range rep.Index.Recorders {
		withHistory = withHistory || len(r.Keys) > 0
	}
	if !withHistory {
		return nil, false
	}
	for _, r := range rep.Index.Recorders {
		if len(r.Keys) == 0 {
			// A recorder given with its key only: no period.
			if pub, err := base64.StdEncoding.DecodeString(r.PublicKey); err == nil && len(pub) == ed25519.PublicKeySize {
				h.Add(KeyPeriod{Recorder: r.Recorder, Room: r.Room, PublicKey: pub})
			}
			continue
		}
		for i, k := range r.Keys {
			pub, err := base64.StdEncoding.DecodeString(k.PublicKey)
			if err != nil || len(pub) != ed25519.PublicKeySize {
				rep.note(NewBreak(KindKeyList, IndexName, fmt.Sprintf("录像设备 %s 的第 %d 把公钥无效 (key %d of recorder %s is not an Ed25519 key)", r.Recorder, i+1, i+1, r.Recorder)))
				continue
			}
			if k.Fingerprint != Fingerprint(pub) {
				rep.note(NewBreak(KindKeyList, IndexName, fmt.Sprintf("录像设备 %s 的第 %d 把公钥与其指纹不符 (key %d of recorder %s does not match its fingerprint)", r.Recorder, i+1, i+1, r.Recorder)))
			}
			p := KeyPeriod{Recorder: r.Recorder, Room: k.Room, PublicKey: pub, RetiredAt: k.RetiredAt}
			if k.RegisteredAt != nil {
				p.RegisteredAt = *k.RegisteredAt
			}
			h.Add(p)
		}
	}
	return h, true
}

// keyListDiff compares the keys of the index's history with keys.txt's;
// empty when they list the same keys for the same recorders.
func keyListDiff(hist, file *KeyHistory) string {
	set := func(h *KeyHistory) map[string]bool {
		out := map[string]bool{}
		for _, id := range h.Recorders() {
			for _, p := range h.Periods(id) {
				out[KeyLine(id, p.PublicKey)] = true
			}
		}
		return out
	}
	a, b := set(hist), set(file)
	var diff []string
	for k := range a {
		if !b[k] {
			diff = append(diff, "缺少 missing: "+k)
		}
	}
	for k := range b {
		if !a[k] {
			diff = append(diff, "多出 extra: "+k)
		}
	}
	if len(diff) == 0 {
		return ""
	}
	sort.Strings(diff)
	return "keys.txt 与 export.json 的公钥列表不一致 (keys.txt and export.json list different keys): " + strings.Join(diff, "; ")
}

// trustedHistory is the export's key history checked against keys the
// caller trusts: the key in force when a segment was accepted must be one
// of them.
type trustedHistory struct {
	*KeyHistory
	trusted manifest.Keys
}

// untrusted reports whether pub is not a trusted key of recorder.
func (t trustedHistory) untrusted(recorder string, pub ed25519.PublicKey) bool {
	return !containsKey(t.trusted.Lookup(recorder), pub)
}

func containsKey(keys []ed25519.PublicKey, k ed25519.PublicKey) bool {
	for _, x := range keys {
		if x.Equal(k) {
			return true
		}
	}
	return false
}

// Lookup returns the recorder's keys in the history that are trusted.
func (t trustedHistory) Lookup(recorder string) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, k := range t.KeyHistory.Lookup(recorder) {
		if !t.untrusted(recorder, k) {
			out = append(out, k)
		}
	}
	return out
}
