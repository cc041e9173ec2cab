package devices

import "errors"

// Errors returned by the package; test them with errors.Is.
var (
	// ErrClosed is returned by Read after Close.
	ErrClosed = errors.New("devices: closed")
	// ErrInvalid is returned for a configuration a device cannot honour
	// (bad name, size, rate, bitrate, codec).
	ErrInvalid = errors.New("devices: invalid configuration")
	// ErrNotFound is returned when no registered device matches the
	// configured Device.
	ErrNotFound = errors.New("devices: device not found")
	// ErrUnsupported is returned when a device offers no format the
	// configuration asks for (size, rate, sample format).
	ErrUnsupported = errors.New("devices: format not offered by the device")
)
