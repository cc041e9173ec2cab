package config

import (
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Edge is evalroom-edge's configuration: one recorder in one evaluation
// room. Its environment variables start with EVALROOM_EDGE_.
type Edge struct {
	// Server is evalroomd's base URL (API, clock, WHIP and archive upload).
	Server string `yaml:"server" doc:"evalroomd base URL (clock exchange, device token, WHIP, archive upload)"`
	// RecorderID is the id registered with evalroomctl recorder register.
	RecorderID string `yaml:"recorder_id" doc:"this recorder's registered id"`
	// RoomID is the room's id at the server; empty means learnt from the
	// server (and remembered in the spool).
	RoomID string `yaml:"room_id" doc:"the room's id at evalroomd (shown by evalroomctl recorder register); empty: learnt from the server at the first start and remembered in the spool"`
	// KeyFile is the recorder's Ed25519 private key (evalroomctl recorder keygen).
	KeyFile string `yaml:"key_file" doc:"the recorder's Ed25519 private key file (evalroomctl recorder keygen)"`
	// DemoMasterKey derives the demo recorders' keys (make run only).
	DemoMasterKey string `yaml:"demo_master_key" secret:"true" doc:"demo only (make run): derive the demo recorder key from evalroomd's master key instead of key_file"`
	// Spool is the local archive folder.
	Spool string `yaml:"spool" doc:"local archive (spool) folder: segments stay here until the server has acknowledged them"`
	// QuotaMB bounds the spool; acknowledged segments are deleted above it.
	QuotaMB int `yaml:"quota_mb" doc:"spool size in MiB above which acknowledged segments are deleted, oldest first (unacknowledged ones never)"`
	// Cameras lists the cameras: "name=device[,WxH][,Nfps][,Nkbps][,h264|vp8]" separated by ";".
	Cameras string `yaml:"cameras" doc:"cameras, separated by ';': name=device[,WxH][,Nfps][,Nkbps][,h264|vp8]; device 'synthetic' or a V4L2 device (see evalroom-edge devices)"`
	// Mic is the microphone: "name=device[,Nkbps][,stereo]", or empty for none.
	Mic string `yaml:"mic" doc:"microphone: name=device[,Nkbps][,stereo]; device 'synthetic' or a capture device; empty for none"`
	// SegmentSeconds is the archive segment length.
	SegmentSeconds int `yaml:"segment_seconds" doc:"archive segment length in seconds"`
	// Hash is sha256 or sm3.
	Hash string `yaml:"hash" doc:"segment and chain hash: sha256 or sm3"`
	// Fsync is fragment, close or never.
	Fsync string `yaml:"fsync" doc:"fsync policy: fragment (every ~1 s fragment), close (each segment) or never (tests only)"`
	// Live publishes the cameras and microphone to the room server.
	Live bool `yaml:"live" doc:"publish the room live to evalroomd by WHIP"`
	// ClockSeconds is the interval of the clock measurement.
	ClockSeconds int `yaml:"clock_seconds" doc:"interval of the clock exchange with evalroomd, in seconds"`
	// HealthAddr serves /healthz, /readyz, /status and /metrics.
	HealthAddr string `yaml:"health_addr" doc:"listen address of /healthz, /readyz, /status and /metrics (Prometheus)"`
	// MaxBacklog is the unacknowledged segment count above which the
	// recorder is not ready.
	MaxBacklog int `yaml:"max_backlog" doc:"upload backlog (segments) above which /readyz fails"`
	// ReportSeconds is the interval of the status reports to evalroomd.
	ReportSeconds int `yaml:"report_seconds" doc:"interval in seconds of the status reports to evalroomd (control panel and metrics; 0: none)"`
	// Log configures logging.
	Log Log `yaml:"log"`
}

// DefaultEdge returns evalroom-edge's defaults: one synthetic camera and
// microphone against a local evalroomd.
func DefaultEdge() Edge {
	return Edge{
		Server: "http://127.0.0.1:8080", Spool: "/var/lib/evalroom-edge/spool", QuotaMB: 50 << 10,
		Cameras: "cam1=synthetic", Mic: "mic=synthetic", SegmentSeconds: 10, Hash: "sha256", Fsync: "fragment",
		Live: true, ClockSeconds: 5, HealthAddr: "127.0.0.1:7880", MaxBacklog: 60, ReportSeconds: 5,
		Log: Log{Level: "info", Format: "text"},
	}
}

// EdgeFields lists evalroom-edge's settings bound to e.
func EdgeFields(e *Edge) []Field { return fieldsOf(e, EdgeEnvPrefix) }

// LoadEdge builds evalroom-edge's configuration from defaults, the YAML
// file named by -config (or EVALROOM_EDGE_CONFIG), EVALROOM_EDGE_*
// variables and flags, and checks it.
func LoadEdge(fs *flag.FlagSet, args []string, environ []string) (Edge, error) {
	e := DefaultEdge()
	if err := load(&e, EdgeFields(&e), EdgeEnvPrefix, "", fs, args, environ); err != nil {
		return e, err
	}
	return e, e.Check()
}

// Check reports the first wrong setting.
func (e Edge) Check() error {
	switch {
	case e.Server == "":
		return fmt.Errorf("config server: required")
	case e.RecorderID == "":
		return fmt.Errorf("config recorder_id: required")
	case e.KeyFile == "" && e.DemoMasterKey == "":
		return fmt.Errorf("config key_file: required")
	case e.Spool == "":
		return fmt.Errorf("config spool: required")
	case e.QuotaMB <= 0 || e.SegmentSeconds < 2 || e.ClockSeconds < 1 || e.MaxBacklog < 1:
		return fmt.Errorf("config quota_mb, segment_seconds (≥ 2), clock_seconds and max_backlog must be positive")
	case e.ReportSeconds < 0:
		return fmt.Errorf("config report_seconds: must not be negative (0 sends no reports)")
	case e.Hash != "sha256" && e.Hash != "sm3":
		return fmt.Errorf("config hash: %q is not sha256 or sm3", e.Hash)
	case e.Fsync != "fragment" && e.Fsync != "close" && e.Fsync != "never":
		return fmt.Errorf("config fsync: %q is not fragment, close or never", e.Fsync)
	}
	if _, err := e.CameraSpecs(); err != nil {
		return err
	}
	_, err := e.MicSpec()
	return err
}

// CameraSpec is one camera parsed from Edge.Cameras; zero numbers mean the
// recorder's defaults.
type CameraSpec struct {
	Name, Device       string
	Width, Height, FPS int
	BitrateKbps        int
	Codec              string // "" (default), "h264" or "vp8"
}

// MicSpec is the microphone parsed from Edge.Mic.
type MicSpec struct {
	Name, Device string
	BitrateKbps  int
	Channels     int
}

var (
	specNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)
	sizeRE     = regexp.MustCompile(`^(\d{2,5})x(\d{2,5})$`)
)

// CameraSpecs parses Edge.Cameras.
func (e Edge) CameraSpecs() ([]CameraSpec, error) {
	var out []CameraSpec
	seen := map[string]bool{}
	for _, item := range strings.Split(e.Cameras, ";") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		name, rest, parts, err := splitSpec("cameras", item)
		if err != nil {
			return nil, err
		}
		c := CameraSpec{Name: name, Device: rest}
		for _, p := range parts {
			switch m := sizeRE.FindStringSubmatch(p); {
			case m != nil:
				c.Width, _ = strconv.Atoi(m[1])
				c.Height, _ = strconv.Atoi(m[2])
			case strings.HasSuffix(p, "fps"):
				c.FPS, err = positive("cameras", name, strings.TrimSuffix(p, "fps"))
			case strings.HasSuffix(p, "kbps"):
				c.BitrateKbps, err = positive("cameras", name, strings.TrimSuffix(p, "kbps"))
			case p == "h264" || p == "vp8":
				c.Codec = p
			default:
				err = fmt.Errorf("config cameras: camera %s: %q is not WxH, Nfps, Nkbps, h264 or vp8", name, p)
			}
			if err != nil {
				return nil, err
			}
		}
		if seen[name] {
			return nil, fmt.Errorf("config cameras: camera %s named twice", name)
		}
		seen[name] = true
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("config cameras: at least one camera")
	}
	return out, nil
}

// MicSpec parses Edge.Mic; it returns nil when there is no microphone.
func (e Edge) MicSpec() (*MicSpec, error) {
	if strings.TrimSpace(e.Mic) == "" {
		return nil, nil
	}
	name, dev, parts, err := splitSpec("mic", e.Mic)
	if err != nil {
		return nil, err
	}
	m := &MicSpec{Name: name, Device: dev, Channels: 1}
	for _, p := range parts {
		switch {
		case strings.HasSuffix(p, "kbps"):
			m.BitrateKbps, err = positive("mic", name, strings.TrimSuffix(p, "kbps"))
		case p == "stereo":
			m.Channels = 2
		default:
			err = fmt.Errorf("config mic: %q is not Nkbps or stereo", p)
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// splitSpec splits "name=device,part,part".
func splitSpec(key, item string) (name, device string, parts []string, err error) {
	name, rest, ok := strings.Cut(strings.TrimSpace(item), "=")
	if !ok || !specNameRE.MatchString(name) {
		return "", "", nil, fmt.Errorf("config %s: %q is not name=device (name of letters, digits, _ . -)", key, item)
	}
	fields := strings.Split(rest, ",")
	device = strings.TrimSpace(fields[0])
	if device == "" {
		return "", "", nil, fmt.Errorf("config %s: %s has no device", key, name)
	}
	for _, f := range fields[1:] {
		parts = append(parts, strings.ToLower(strings.TrimSpace(f)))
	}
	return name, device, parts, nil
}

func positive(key, name, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("config %s: %s: %q is not a positive number", key, name, s)
	}
	return n, nil
}
