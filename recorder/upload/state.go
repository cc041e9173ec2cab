package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/evalroom/evalroom/internal/fsutil"
)

// StateName is the uploader's state file in the spool.
const StateName = "upload.state"

// stateVersion is the state file's format version.
const stateVersion = 1

// state is what the archive acknowledged last: the state file's content.
type state struct {
	Version  int    `json:"version"`
	Recorder string `json:"recorder_id"`
	// Acked is the highest seq the archive acknowledged, ManifestHash
	// that manifest's chain hash.
	Acked        int64  `json:"acked_seq"`
	ManifestHash string `json:"manifest_hash"`
}

// loadState reads the state file; a missing file is the zero state.
func loadState(path string) (state, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return state{}, nil
	}
	if err != nil {
		return state{}, fmt.Errorf("read upload state: %w", err)
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return state{}, fmt.Errorf("upload state %s: %w", path, err)
	}
	if s.Version != stateVersion || s.Acked < 0 || (s.Acked > 0 && (s.Recorder == "" || s.ManifestHash == "")) {
		return state{}, fmt.Errorf("upload state %s: version %d, seq %d, recorder %q: not a state this uploader wrote",
			path, s.Version, s.Acked, s.Recorder)
	}
	return s, nil
}

// save writes the state file atomically (temporary file, fsync, rename,
// fsync of the folder).
func (s state) save(path string) error {
	s.Version = stateVersion
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode upload state: %w", err)
	}
	if err := fsutil.WriteFileAtomic(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save upload state: %w", err)
	}
	return nil
}
