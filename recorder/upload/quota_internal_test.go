package upload

import "testing"

func TestDeletableIsOnlySegments(t *testing.T) {
	for name, want := range map[string]bool{
		"edge-nj-1-cam1-20261123T013000.000Z-000001.mp4": true,
		"seg-000001.webm": true,
		"edge-nj-1-cam1-20261123T013000.000Z-000001.manifest.json": false,
		"edge-nj-1-cam1-20261123T013000.000Z-000002.mp4.part":      false,
		StateName:             false,
		"chain.state":         false,
		".upload.state.tmp-1": false,
		".hidden.mp4":         false,
	} {
		if got := deletable(name); got != want {
			t.Errorf("deletable(%q) = %v, want %v", name, got, want)
		}
	}
}
