package sockopt

// Granted is what the kernel reports for a socket's options, read back with
// getsockopt after they were set.
type Granted struct {
	// RecvBuf and SendBuf are SO_RCVBUF and SO_SNDBUF as getsockopt
	// returns them: Linux reports double the size requested (socket(7)).
	RecvBuf int `json:"rcvbuf"`
	SendBuf int `json:"sndbuf"`
	// NoDelay is TCP_NODELAY; false on sockets that are not TCP.
	NoDelay bool `json:"nodelay"`
	// ReuseAddr and ReusePort are SO_REUSEADDR and SO_REUSEPORT.
	ReuseAddr bool `json:"reuseaddr"`
	ReusePort bool `json:"reuseport"`
	// KeepAlive is SO_KEEPALIVE.
	KeepAlive bool `json:"keepalive"`
}

// Report pairs the options requested with those granted and says where the
// kernel gave less than asked.
type Report struct {
	// Requested is what the caller asked for.
	Requested Options `json:"requested"`
	// Granted is what the kernel reports.
	Granted Granted `json:"granted"`
	// Warnings explain each shortfall, such as a buffer clamped by
	// net.core.rmem_max, in one sentence each.
	Warnings []string `json:"warnings,omitempty"`
}
