package devices

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/driver/camera"
	_ "github.com/pion/mediadevices/pkg/driver/microphone" // registers the capture devices miniaudio finds
)

// driverMu serialises this package's use of mediadevices' driver
// manager: discovery, and the drivers' Open, Close and state (which
// mediadevices does not guard).
var driverMu sync.Mutex

// nullMicrophone is the label miniaudio's "null" backend gets (the hex of
// "null"): a device that returns silence, registered when a machine has
// no sound card. It is not a microphone and is never listed or opened.
const nullMicrophone = "6e756c6c"

// drivers returns the registered drivers of type t, without
// pseudo-devices. Call with driverMu held.
func drivers(t driver.DeviceType) []driver.Driver {
	var out []driver.Driver
	for _, d := range driver.GetManager().Query(driver.FilterDeviceType(t)) {
		if t == driver.Microphone && d.Info().Label == nullMicrophone {
			continue
		}
		out = append(out, d)
	}
	return out
}

// findDriver returns the driver of type t that device names: its ID, its
// label, or (for cameras) a device path whose file or link target is in
// the label ("video0;video0"). A camera not found triggers a new V4L2
// discovery (it may have been plugged in since start). Call with
// driverMu held.
func findDriver(t driver.DeviceType, device string) (driver.Driver, error) {
	if d := matchDriver(t, device); d != nil {
		return d, nil
	}
	if t == driver.Camera {
		camera.Initialize()
		if d := matchDriver(t, device); d != nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: %s %q", ErrNotFound, t, device)
}

func matchDriver(t driver.DeviceType, device string) driver.Driver {
	names := map[string]bool{device: true}
	if strings.HasPrefix(device, "/") {
		names[filepath.Base(device)] = true
		if real, err := filepath.EvalSymlinks(device); err == nil {
			names[filepath.Base(real)] = true
		}
	}
	for _, d := range drivers(t) {
		info := d.Info()
		if d.ID() == device || info.Label == device {
			return d
		}
		if t != driver.Camera || !strings.HasPrefix(device, "/") {
			continue
		}
		for _, part := range strings.Split(info.Label, camera.LabelSeparator) {
			if names[part] {
				return d
			}
		}
	}
	return nil
}
