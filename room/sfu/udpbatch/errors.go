package udpbatch

import "errors"

// ErrTooLarge is returned by WriteTo for a datagram longer than the
// largest UDP payload (65,507 bytes over IPv4).
var ErrTooLarge = errors.New("udpbatch: datagram too large")

// ErrBadAddr is returned by WriteTo for an address that is not a UDP
// address with an IP and a port.
var ErrBadAddr = errors.New("udpbatch: not a UDP address")

// ErrBadOption is returned by New for an invalid option value.
var ErrBadOption = errors.New("udpbatch: bad option")
