package manifest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/evalroom/evalroom/internal/fsutil"
)

// ChainParams configure a recorder's Chain.
type ChainParams struct {
	// StatePath is the chain's state file. Required.
	StatePath string
	// Recorder is the recorder's id; every appended manifest must carry
	// it. Required.
	Recorder string
	// Key signs the manifests. Required.
	Key ed25519.PrivateKey
	// Dir, when set, is where Append writes each manifest (beside its
	// segment), and where OpenChain writes the last manifest again if a
	// crash lost it.
	Dir string
	// Now stamps created_at; time.Now when nil.
	Now func() time.Time
}

// Chain is the recorder's side of its hash chain: it numbers, links and
// signs manifests, and keeps the last signed manifest in a small state
// file, so that a restarted recorder continues the chain where it
// stopped. It is safe for concurrent use.
//
// Crash safety: Append writes the state file (atomically) before the
// manifest file. A crash between the two leaves the state ahead of the
// directory; OpenChain then writes the missing manifest from the state.
// The chain never forks: a seq is signed at most once per state.
type Chain struct {
	p    ChainParams
	pub  ed25519.PublicKey
	mu   sync.Mutex
	last *Manifest
	head Digest
}

// state is the state file's content.
type state struct {
	Version  int             `json:"version"`
	Recorder string          `json:"recorder_id"`
	Last     json.RawMessage `json:"last"`
}

// OpenChain opens the chain of p.Recorder, continuing from p.StatePath if
// it exists. Without a state file it continues from the newest manifest of
// the recorder in p.Dir that verifies with the key, and starts at seq 1
// only when there is none. Errors: ErrInvalid
// (missing parameter), ErrState (a state file that cannot be trusted),
// file errors.
func OpenChain(p ChainParams) (*Chain, error) {
	switch {
	case p.StatePath == "":
		return nil, fmt.Errorf("%w: chain state path", ErrInvalid)
	case !idRE.MatchString(p.Recorder):
		return nil, fmt.Errorf("%w: recorder id %q", ErrInvalid, p.Recorder)
	case len(p.Key) != ed25519.PrivateKeySize:
		return nil, fmt.Errorf("%w: Ed25519 private key", ErrInvalid)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	c := &Chain{p: p, pub: p.Key.Public().(ed25519.PublicKey)}
	data, err := os.ReadFile(p.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		return c, c.adoptFromDir()
	}
	if err != nil {
		return nil, fmt.Errorf("open chain: %w", err)
	}
	if err := c.load(data); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrState, p.StatePath, err)
	}
	if p.Dir != "" {
		if err := c.restoreLast(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Chain) load(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s state
	if err := dec.Decode(&s); err != nil {
		return err
	}
	if s.Version != Version || s.Recorder != c.p.Recorder {
		return fmt.Errorf("state of recorder %q version %d, not of %q", s.Recorder, s.Version, c.p.Recorder)
	}
	m, err := Parse(s.Last)
	if err != nil {
		return err
	}
	if m.Recorder != c.p.Recorder {
		return fmt.Errorf("last manifest is of recorder %q", m.Recorder)
	}
	if err := m.Verify(c.pub); err != nil {
		return err
	}
	h, err := m.Hash()
	if err != nil {
		return err
	}
	c.last, c.head = &m, h
	return nil
}

// adoptFromDir continues from the newest manifest of this recorder in Dir
// that verifies with the key, when the state file is missing (lost or
// deleted), so that the chain does not fork by starting again at seq 1.
// It saves the state it adopted.
func (c *Chain) adoptFromDir() error {
	if c.p.Dir == "" {
		return nil
	}
	names, err := DirSource{Dir: c.p.Dir}.Manifests(context.Background())
	if err != nil {
		return fmt.Errorf("open chain: %w", err)
	}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(c.p.Dir, name))
		if err != nil {
			return fmt.Errorf("open chain: %w", err)
		}
		m, err := Parse(data)
		if err != nil || m.Recorder != c.p.Recorder || m.Verify(c.pub) != nil {
			continue
		}
		if c.last == nil || m.Seq > c.last.Seq {
			c.last = &m
		}
	}
	if c.last == nil {
		return nil
	}
	if c.head, err = c.last.Hash(); err != nil {
		return err
	}
	return c.saveState(*c.last)
}

// saveState writes m as the state's last manifest.
func (c *Chain) saveState(m Manifest) error {
	body, err := m.Canonical()
	if err != nil {
		return err
	}
	st, err := json.Marshal(state{Version: Version, Recorder: c.p.Recorder, Last: body})
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(c.p.StatePath, append(st, '\n'), 0o600); err != nil {
		return fmt.Errorf("save chain state: %w", err)
	}
	return nil
}

// restoreLast writes the last manifest into Dir when it is missing there
// (a crash after the state was saved).
func (c *Chain) restoreLast() error {
	p := filepath.Join(c.p.Dir, ManifestName(c.last.Segment))
	if _, err := os.Stat(p); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open chain: %w", err)
	}
	if _, err := WriteFile(c.p.Dir, *c.last); err != nil {
		return fmt.Errorf("open chain: restore last manifest: %w", err)
	}
	return nil
}

// Head returns the seq and Hash of the last signed manifest; 0 and the
// zero Digest for a new chain.
func (c *Chain) Head() (int64, Digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		return 0, Digest{}
	}
	return c.last.Seq, c.head
}

// Last returns the last signed manifest, if any.
func (c *Chain) Last() (Manifest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		return Manifest{}, false
	}
	return *c.last, true
}

// Append completes m (from Build) as the chain's next link: seq, prev
// hash and created_at; signs it; saves the state; and, when Dir is set,
// writes the manifest file. It returns the signed manifest. Errors:
// ErrInvalid (another recorder's manifest, a field that breaks a rule),
// file errors (the chain is then unchanged unless the state was saved,
// in which case the next OpenChain restores the manifest file).
func (c *Chain) Append(m Manifest) (Manifest, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Recorder != c.p.Recorder {
		return Manifest{}, fmt.Errorf("%w: manifest of recorder %q in the chain of %q", ErrInvalid, m.Recorder, c.p.Recorder)
	}
	m.Seq, m.Prev = 1, Digest{}
	if c.last != nil {
		m.Seq, m.Prev = c.last.Seq+1, c.head
	}
	m.CreatedAt = c.p.Now().UTC()
	if err := m.Sign(c.p.Key); err != nil {
		return Manifest{}, fmt.Errorf("append seq %d: %w", m.Seq, err)
	}
	h, err := m.Hash()
	if err != nil {
		return Manifest{}, err
	}
	if err := c.saveState(m); err != nil {
		return Manifest{}, fmt.Errorf("append seq %d: %w", m.Seq, err)
	}
	c.last, c.head = &m, h
	if c.p.Dir != "" {
		if _, err := WriteFile(c.p.Dir, m); err != nil {
			return m, fmt.Errorf("append seq %d: %w", m.Seq, err)
		}
	}
	return m, nil
}
