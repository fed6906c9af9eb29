// Package sockopt applies socket options to raw file descriptors, to
// net.ListenConfig control functions and to syscall.RawConn values, and reads
// back what the kernel actually granted.
//
// The kernel does not always grant what it is asked: Linux doubles SO_RCVBUF
// and SO_SNDBUF requests to leave room for bookkeeping (socket(7)) and clamps
// them to net.core.rmem_max / net.core.wmem_max. Report says so instead of
// hiding it.
//
// Which options must precede bind or listen (tcp(7), socket(7)):
//   - SO_REUSEADDR and SO_REUSEPORT: before bind, or bind fails or the
//     socket joins no reuseport group.
//   - SO_RCVBUF: before listen, because the TCP window scale is fixed in the
//     SYN; accepted sockets inherit the listener's buffer sizes.
//   - TCP_NODELAY, keepalive, TCP_QUICKACK and SO_BUSY_POLL may be set on
//     each accepted socket; TCP_QUICKACK is not sticky and the kernel may
//     clear it again (tcp(7)).
package sockopt

import "time"

// Options is the set of socket options rawnet tunes. Its zero value asks for
// the defaults a fast echo server wants: kernel buffer sizes, TCP_NODELAY on,
// SO_REUSEADDR on, everything else off.
type Options struct {
	// RecvBuf is the SO_RCVBUF request in bytes; 0 keeps the kernel default.
	RecvBuf int
	// SendBuf is the SO_SNDBUF request in bytes; 0 keeps the kernel default.
	SendBuf int
	// ForceBuf uses SO_RCVBUFFORCE / SO_SNDBUFFORCE, which ignore
	// net.core.rmem_max / wmem_max but need CAP_NET_ADMIN.
	ForceBuf bool
	// Nagle leaves Nagle's algorithm on; by default TCP_NODELAY is set.
	Nagle bool
	// NoReuseAddr leaves SO_REUSEADDR off; by default it is set so that a
	// restarted server can bind a port that still has TIME_WAIT sockets.
	NoReuseAddr bool
	// ReusePort sets SO_REUSEPORT, letting several sockets bind one port
	// and the kernel spread connections or datagrams among them.
	ReusePort bool
	// KeepAlive, when positive, sets SO_KEEPALIVE with this idle time
	// before the first probe (TCP_KEEPIDLE).
	KeepAlive time.Duration
	// KeepAliveInterval is the time between probes (TCP_KEEPINTVL); 0
	// keeps the kernel default.
	KeepAliveInterval time.Duration
	// KeepAliveCount is the number of unanswered probes before the
	// connection is dropped (TCP_KEEPCNT); 0 keeps the kernel default.
	KeepAliveCount int
	// QuickAck sets TCP_QUICKACK on accepted sockets.
	QuickAck bool
	// BusyPoll, when positive, sets SO_BUSY_POLL to this many microseconds
	// (rounded down); raising it above net.core.busy_poll needs
	// CAP_NET_ADMIN.
	BusyPoll time.Duration
}
