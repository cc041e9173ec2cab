//go:build !linux

package upload

// freeBytes is unknown (-1) outside Linux.
func freeBytes(string) int64 { return -1 }
