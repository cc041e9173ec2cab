package audit

import "errors"

// ErrInvalidRecord is returned by Append for a record without actor or
// action, or whose detail cannot be marshalled.
var ErrInvalidRecord = errors.New("audit: invalid record")
