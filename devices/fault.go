package devices

import "sync"

// fault lets tests break a device: the next read fails and reopening
// fails until repaired. It costs one uncontended lock per frame.
type fault struct {
	mu      sync.Mutex
	readErr error
	openErr error
}

// breakDevice makes the next read fail with err, and every reopen until
// repair.
func (f *fault) breakDevice(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.readErr, f.openErr = err, err
}

// repair lets the device open again.
func (f *fault) repair() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.openErr = nil
}

// reading returns the injected read error once.
func (f *fault) reading() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.readErr
	f.readErr = nil
	return err
}

// opening returns the injected open error.
func (f *fault) opening() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.openErr
}
