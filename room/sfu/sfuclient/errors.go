package sfuclient

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned once the client is closed or the server closed
	// the connection.
	ErrClosed = errors.New("sfuclient: closed")
	// ErrTooManyRedirects is returned when nodes keep redirecting.
	ErrTooManyRedirects = errors.New("sfuclient: too many redirects")
	// ErrUnexpected is returned for a server reply the client cannot use.
	ErrUnexpected = errors.New("sfuclient: unexpected reply")
)

// ServerError is an "error" message from the server, or an HTTP error of
// WHIP/WHEP.
type ServerError struct {
	Code    string
	Message string
	Status  int // HTTP status for WHIP/WHEP, 0 for WebSocket
}

// Error implements error.
func (e *ServerError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("sfu: HTTP %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("sfu: %s: %s", e.Code, e.Message)
}
