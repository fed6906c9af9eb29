package netpoll

// Backend says which kernel interface a Server's loops wait on and move
// bytes through. Both serve the same Handler contract: the choice
// changes how the loop talks to the kernel, not what a Handler sees.
type Backend uint8

// Backends. The zero value is BackendEpoll.
const (
	// BackendEpoll waits for readiness with epoll(7) and reads and
	// writes with one system call each.
	BackendEpoll Backend = iota
	// BackendUring submits operations to an io_uring instance per loop
	// and reaps their completions (io_uring(7)): a multishot accept per
	// listener, a multishot recv per connection into buffers the loop
	// provides, sends queued per connection with one in flight, all
	// submitted and reaped with one io_uring_enter per round. It needs
	// Linux 6.0 or later with io_uring allowed (CheckBackend says why
	// not) and locks each loop to its OS thread, the ring's single
	// issuer. UDP sockets wait for readiness through the ring and move
	// datagrams as on epoll. Loop.Connect and raw connections
	// (Conn.SetRaw) need BackendEpoll. See uring_linux.go.
	BackendUring
)

// String returns "epoll" or "uring".
func (b Backend) String() string {
	switch b {
	case BackendEpoll:
		return "epoll"
	case BackendUring:
		return "uring"
	default:
		return "unknown"
	}
}
