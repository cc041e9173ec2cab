// Package devices finds and opens the cameras and microphones of an
// evaluation room. Subpackage synthetic provides the clock-faced test
// devices used by tests and the demo.
package devices
