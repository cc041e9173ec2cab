package devices

import (
	"slices"
	"strings"

	"github.com/pion/mediadevices/pkg/driver"
)

// Info describes a capture device that mediadevices' Linux drivers found.
type Info struct {
	// ID is mediadevices' ID for the device in this process (it changes
	// between runs); Label is stable ("video0;video0" for V4L2, the
	// miniaudio ID for microphones); either can be a config's Device.
	ID, Label string
	// Name is the device's human name ("HD Webcam;usb-0000:00:14.0-1").
	Name string
	// Kind is "camera" or "microphone".
	Kind string
	// Formats are what the device offers ("1280x720@30 MJPEG",
	// "48000 Hz 2 ch s16"); empty if the device is in use.
	Formats []string
}

// List returns the cameras (V4L2) and microphones (ALSA, PulseAudio)
// that mediadevices found when the process started, cameras first, by
// label. On a machine with neither it returns an empty list.
func List() ([]Info, error) {
	driverMu.Lock()
	defer driverMu.Unlock()
	var out []Info
	for _, t := range []driver.DeviceType{driver.Camera, driver.Microphone} {
		for _, d := range drivers(t) {
			out = append(out, describe(d, t))
		}
	}
	slices.SortFunc(out, func(a, b Info) int {
		if a.Kind != b.Kind {
			return strings.Compare(a.Kind, b.Kind)
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out, nil
}

// describe opens d briefly, if nobody uses it, to read its formats.
func describe(d driver.Driver, t driver.DeviceType) Info {
	info := d.Info()
	in := Info{ID: d.ID(), Label: info.Label, Name: info.Name, Kind: string(t)}
	if d.Status() != driver.StateClosed || d.Open() != nil {
		return in
	}
	defer d.Close()
	props := d.Properties()
	if t == driver.Camera {
		in.Formats = videoFormats(props)
	} else {
		in.Formats = audioFormats(props)
	}
	return in
}
