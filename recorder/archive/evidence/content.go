package evidence

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"path"
	"regexp"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// Content is what an export holds; the archive Service gathers it.
type Content struct {
	// CreatedAt and CreatedBy say when and for whom the export is written.
	CreatedAt time.Time
	CreatedBy string
	// Session, SessionRef, Rooms, From and To say what it covers.
	Session    int64
	SessionRef string
	Rooms      []int64
	From, To   time.Time
	// Recorders are the chain slices, one per recorder.
	Recorders []Recorder
	// Files are further members (scores.json, session.json, …), each a
	// plain base name other than the fixed members'.
	Files []File
	// Audit are the audit entries, in seq order.
	Audit []audit.Entry
	// Signer, when set, is the server's export signing key: Write lists
	// every member with its SHA-256 in SHA256SUMS and signs it
	// (SHA256SUMS.sig). Never a recorder's key.
	Signer ed25519.PrivateKey
}

// Recorder is one recorder's chain slice.
type Recorder struct {
	// ID is the recorder's id and Room the room it records.
	ID   string
	Room int64
	// PublicKey is the recorder's registered key (its key in force, or
	// its last one); the last of Keys when empty.
	PublicKey ed25519.PublicKey
	// Keys are every key the recorder ever had, each with its period;
	// each manifest is verified with the key in force when the server
	// accepted its segment (Segment.AcceptedAt). Empty: PublicKey only,
	// without a period.
	Keys []KeyPeriod
	// Segments are the slice's manifests with their segments, seq
	// ascending and contiguous.
	Segments []Segment
}

// Segment is one manifest of a slice and its segment.
type Segment struct {
	// Seq is the manifest's seq and Name its segment's file name.
	Seq  int64
	Name string
	// Key is the segment's SHA-256 (hex) and Size its length.
	Key  string
	Size int64
	// Manifest is the signed manifest's canonical bytes.
	Manifest []byte
	// ChainOnly keeps the manifest for the links without its segment.
	ChainOnly bool
	// AcceptedAt is when the server accepted the segment, which chooses
	// the recorder's key that verifies the manifest (see Recorder.Keys).
	AcceptedAt time.Time
	// Open opens the segment's bytes (not called for ChainOnly).
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// File is a member given as bytes.
type File struct {
	Name string
	Data []byte
}

var (
	recorderRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	fileRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

// fixedNames are the members Write writes itself.
var fixedNames = map[string]bool{ReadmeName: true, IndexName: true, KeysName: true, AuditName: true,
	SumsName: true, SignatureName: true}

// check validates c.
func (c Content) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	seen := map[string]bool{}
	for _, f := range c.Files {
		if !fileRE.MatchString(f.Name) || fixedNames[f.Name] || seen[f.Name] {
			return bad("file name %q", f.Name)
		}
		seen[f.Name] = true
	}
	ids := map[string]bool{}
	for _, r := range c.Recorders {
		if !recorderRE.MatchString(r.ID) || r.ID == "." || r.ID == ".." || ids[r.ID] {
			return bad("recorder id %q", r.ID)
		}
		ids[r.ID] = true
		if len(r.PublicKey) != ed25519.PublicKeySize && len(r.Keys) == 0 {
			return bad("recorder %s: public key", r.ID)
		}
		for _, k := range r.Keys {
			if len(k.PublicKey) != ed25519.PublicKeySize || (k.Recorder != "" && k.Recorder != r.ID) {
				return bad("recorder %s: key history", r.ID)
			}
		}
		for i, s := range r.Segments {
			switch {
			case !manifest.ValidSegmentName(s.Name):
				return bad("recorder %s seq %d: segment name %q", r.ID, s.Seq, s.Name)
			case i > 0 && s.Seq != r.Segments[i-1].Seq+1:
				return bad("recorder %s: seq %d after %d: a slice is contiguous", r.ID, s.Seq, r.Segments[i-1].Seq)
			case !s.ChainOnly && s.Open == nil:
				return bad("recorder %s seq %d: no segment", r.ID, s.Seq)
			}
		}
	}
	if c.Signer != nil && len(c.Signer) != ed25519.PrivateKeySize {
		return bad("signing key")
	}
	return nil
}

// publicKey is the recorder's key for keys.txt and the index: PublicKey,
// else its last key.
func (r Recorder) publicKey() ed25519.PublicKey {
	if len(r.PublicKey) == ed25519.PublicKeySize || len(r.Keys) == 0 {
		return r.PublicKey
	}
	return r.Keys[len(r.Keys)-1].PublicKey
}

// keyPeriods are the recorder's keys with their periods: Keys, else
// PublicKey without a period.
func (r Recorder) keyPeriods() []KeyPeriod {
	if len(r.Keys) == 0 {
		return []KeyPeriod{{Recorder: r.ID, Room: r.Room, PublicKey: r.PublicKey}}
	}
	out := make([]KeyPeriod, len(r.Keys))
	for i, k := range r.Keys {
		k.Recorder = r.ID
		out[i] = k
	}
	return out
}

// memberNames returns the manifest and segment member names of a
// recorder's slice: recorders/<id>/<segment> and its manifest name, the
// segment prefixed with its seq ("s42-") when two segments of the slice
// share a name.
func memberNames(r Recorder) (manifests, segments []string) {
	count := map[string]int{}
	for _, s := range r.Segments {
		count[s.Name]++
	}
	dir := RecordersDir + r.ID + "/"
	for _, s := range r.Segments {
		name := s.Name
		if count[name] > 1 {
			name = fmt.Sprintf("s%d-%s", s.Seq, name)
		}
		manifests = append(manifests, path.Join(dir, manifest.ManifestName(name)))
		segments = append(segments, path.Join(dir, name))
	}
	return manifests, segments
}
