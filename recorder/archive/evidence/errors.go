package evidence

import "errors"

var (
	// ErrInvalid is returned for Content that cannot be written (a bad
	// recorder id or segment name, a file name that is not a plain base
	// name, a slice that is not contiguous).
	ErrInvalid = errors.New("evidence: invalid")
	// ErrNotExport is returned by Verify for a file that is not an
	// evidence export (not a ZIP, or without export.json).
	ErrNotExport = errors.New("evidence: not an evidence export")
	// ErrBroken is wrapped by Report.Err: a link is broken.
	ErrBroken = errors.New("evidence: broken link")
)
