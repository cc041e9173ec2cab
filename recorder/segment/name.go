package segment

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Segment file name parts.
const (
	// Ext ends a closed segment's name.
	Ext = ".mp4"
	// PartExt ends the name of a segment being written.
	PartExt = ".mp4.part"
	// TimeLayout is the UTC start in file names.
	TimeLayout = "20060102T150405.000Z"
)

// FileName returns the name of a closed segment.
func FileName(recorder string, start time.Time, seq int) string {
	return fmt.Sprintf("%s-%s-%06d%s", recorder, start.UTC().Format(TimeLayout), seq, Ext)
}

// ParseFileName splits a segment file name (closed or .part) into its
// recorder, UTC start and seq.
func ParseFileName(name string) (recorder string, start time.Time, seq int, ok bool) {
	base, found := strings.CutSuffix(name, PartExt)
	if !found {
		if base, found = strings.CutSuffix(name, Ext); !found {
			return "", time.Time{}, 0, false
		}
	}
	i := strings.LastIndexByte(base, '-')
	if i < 0 {
		return "", time.Time{}, 0, false
	}
	seq, err := strconv.Atoi(base[i+1:])
	if err != nil || seq < 0 {
		return "", time.Time{}, 0, false
	}
	base = base[:i]
	j := strings.LastIndexByte(base, '-')
	if j <= 0 {
		return "", time.Time{}, 0, false
	}
	start, err = time.Parse(TimeLayout, base[j+1:])
	if err != nil {
		return "", time.Time{}, 0, false
	}
	return base[:j], start, seq, true
}

// lastSeq returns the highest seq of the recorder's segments in dir.
func lastSeq(dir, recorder string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("segment: list %s: %w", dir, err)
	}
	last := 0
	for _, e := range entries {
		if r, _, seq, ok := ParseFileName(e.Name()); ok && r == recorder && seq > last {
			last = seq
		}
	}
	return last, nil
}
