package testenv

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

var (
	stopMu sync.Mutex
	stops  []func()
)

// onStop registers f to run when Main returns.
func onStop(f func()) {
	stopMu.Lock()
	defer stopMu.Unlock()
	stops = append(stops, f)
}

// Main runs the package's tests and then stops every server this package
// started. Call it from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	stopMu.Lock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
	stops = nil
	stopMu.Unlock()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "testenv: tests failed")
	}
	os.Exit(code)
}
