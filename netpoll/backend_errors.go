package netpoll

import "errors"

// ErrBackendUnavailable is wrapped by CheckBackend, Listen and
// ListenPacket when the kernel or the process cannot run the Backend a
// Config asks for.
var ErrBackendUnavailable = errors.New("netpoll: backend unavailable")
