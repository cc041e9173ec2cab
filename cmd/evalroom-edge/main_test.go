package main

import (
	"bytes"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/recorder/manifest"
)

func TestDevicesListsTheSyntheticSet(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"devices"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KIND", "camera      synthetic", "microphone  synthetic"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("devices printed\n%s\nwithout %q", out.String(), want)
		}
	}
}

func TestNewEdgeReadsTheKeyAndRefusesBadConfig(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	pub, err := manifest.WriteKeyPair(dir)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, manifest.PrivateKeyFile)
	cfg := config.DefaultEdge()
	cfg.RecorderID, cfg.KeyFile, cfg.Spool = "edge-t-1", keyFile, t.TempDir()
	e, err := NewEdge(cfg, log, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(e.key.Public()) {
		t.Fatal("the key read is not the one written")
	}
	cfg.KeyFile = filepath.Join(dir, "missing")
	if _, err := NewEdge(cfg, log, Hooks{}); err == nil || !strings.Contains(err.Error(), "key_file") {
		t.Fatalf("missing key file: %v", err)
	}
	cfg.KeyFile, cfg.Hash = keyFile, "md5"
	if _, err := NewEdge(cfg, log, Hooks{}); err == nil || !strings.Contains(err.Error(), "hash") {
		t.Fatalf("bad hash: %v", err)
	}
}

func TestClockSkewHook(t *testing.T) {
	h, err := testHooks("4s")
	if err != nil {
		t.Fatal(err)
	}
	if d := h.LocalNow().Sub(time.Now()); d < 3900*time.Millisecond || d > 4100*time.Millisecond {
		t.Fatalf("skewed clock %s ahead", d)
	}
	if _, err := testHooks("four seconds"); err == nil {
		t.Fatal("a bad skew was accepted")
	}
	if h, _ := testHooks(""); h.LocalNow != nil {
		t.Fatal("no skew set a clock")
	}
}
