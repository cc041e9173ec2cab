package synthetic

import "errors"

// ErrInvalid is returned for parameters a device cannot honour.
var ErrInvalid = errors.New("synthetic: invalid parameters")
