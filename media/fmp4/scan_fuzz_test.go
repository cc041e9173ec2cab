package fmp4_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/evalroom/evalroom/media/fmp4"
)

// FuzzScan feeds Scan damaged files: it must return an error or a result,
// never panic, and Complete never exceeds the size.
func FuzzScan(f *testing.F) {
	var buf bytes.Buffer
	w, err := fmp4.NewWriter(&buf, fmp4.Track{ID: 2, Kind: fmp4.Audio, Codec: fmp4.Opus})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := w.WriteHeader(fmp4.Header{UTCStart: utcStart, Tags: map[string]string{"k": "v"}}); err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		s := []fmp4.Sample{{Data: []byte{0xfc, 1, 2}, Duration: 960, Sync: true}, {Data: []byte{0xfc, 3}, Duration: 960, Sync: true}}
		if _, err := w.WriteFragment(fmp4.Fragment{UTC: utcStart.Add(time.Duration(i) * 40 * time.Millisecond),
			Runs: []fmp4.Run{{TrackID: 2, BaseDecodeTime: uint64(i) * 1920, Samples: s}}}); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := fmp4.Scan(bytes.NewReader(data), int64(len(data)))
		if err == nil && (file.Complete > int64(len(data)) || file.Complete < file.HeaderEnd) {
			t.Fatalf("complete %d of %d bytes", file.Complete, len(data))
		}
	})
}
