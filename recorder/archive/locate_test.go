package archive_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/manifest"
)

func TestLocate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newRecorder(t, e, "edge-nj-1", 4, true)
	s1 := r.segment(t, t0, 10*time.Second)
	s2 := r.segment(t, t0.Add(10*time.Second), 10*time.Second)
	// The recorder restarted: nothing from 20 s to 25 s.
	s3 := r.segment(t, t0.Add(25*time.Second), 10*time.Second,
		manifest.Gap{From: t0.Add(20 * time.Second), To: t0.Add(25 * time.Second), Reason: "recorder restart"})
	for _, s := range []seg{s1, s2, s3} {
		upload(t, e, r, s)
	}
	require.Equal(t, 1, e.count(t, "gaps"))

	for _, tc := range []struct {
		name    string
		room    int64
		at      time.Time
		segment string
		offset  time.Duration
		gap     bool
	}{
		{"inside the first", 4, t0.Add(3500 * time.Millisecond), s1.hash, 3500 * time.Millisecond, false},
		{"at the first's start", 4, t0, s1.hash, 0, false},
		{"at the boundary of two", 4, t0.Add(10 * time.Second), s2.hash, 0, false},
		{"just before the boundary", 4, t0.Add(10*time.Second - time.Microsecond), s1.hash, 10*time.Second - time.Microsecond, false},
		{"inside the third", 4, t0.Add(34 * time.Second), s3.hash, 9 * time.Second, false},
		{"at the gap's start", 4, t0.Add(20 * time.Second), "", 0, true},
		{"in the gap", 4, t0.Add(22 * time.Second), "", 0, true},
		{"at the last segment's end", 4, t0.Add(35 * time.Second), "", 0, false},
		{"before the recording", 4, t0.Add(-time.Second), "", 0, false},
		{"another room", 5, t0.Add(3 * time.Second), "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := e.svc.Locate(ctx, tc.room, tc.at)
			if tc.segment == "" {
				require.ErrorIs(t, err, archive.ErrNotFound)
				var ge *archive.GapError
				require.Equal(t, tc.gap, errors.As(err, &ge))
				if tc.gap {
					require.Equal(t, "recorder restart", ge.Gap.Reason)
					require.Equal(t, s3.hash, ge.Gap.Segment)
					require.Contains(t, ge.Error(), "录像中断")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.segment, p.SegmentHash)
			require.Equal(t, tc.offset, p.OffsetFromStart)
			require.Equal(t, "edge-nj-1", p.Recorder)
			require.Equal(t, "cam1+mic", p.Stream)
			require.Equal(t, tc.at, p.UTCStart.Add(p.OffsetFromStart))
			require.Nil(t, p.Gap)
		})
	}
}
