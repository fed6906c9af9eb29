package netpoll

import "errors"

// Errors a Handler's OnClose may receive, besides nil and the
// *os.SyscallError of a failed read or write (ECONNRESET, EPIPE...).
var (
	// ErrClosed is returned by Conn.Write, Conn.Close and
	// Conn.CloseWithError once the connection is closing or closed, and
	// by Loop.Submit once the loop has stopped.
	ErrClosed = errors.New("netpoll: connection or loop closed")
	// ErrIdleTimeout closes a connection that was idle for
	// Config.IdleTimeout.
	ErrIdleTimeout = errors.New("netpoll: idle timeout")
	// ErrWriteTimeout closes a connection whose output made no progress
	// for Config.WriteTimeout.
	ErrWriteTimeout = errors.New("netpoll: write timeout")
	// ErrCloseTimeout closes a connection that did not finish flushing or
	// closing within Config.CloseTimeout after its handler closed it.
	ErrCloseTimeout = errors.New("netpoll: close timeout")
	// ErrInputLimit closes a connection whose unconsumed input reached
	// Config.InputLimit.
	ErrInputLimit = errors.New("netpoll: unconsumed input exceeds limit")
	// ErrServerClosed closes connections when the server shuts down.
	ErrServerClosed = errors.New("netpoll: server closed")
	// ErrPanic wraps the value a panicking handler callback raised; the
	// connection it served is closed, the server keeps running.
	ErrPanic = errors.New("netpoll: handler panicked")
	// ErrUnsupported is returned by Listen and ListenPacket on systems
	// other than Linux, which have no epoll.
	ErrUnsupported = errors.New("netpoll: epoll is only available on Linux")
)

// ErrConnectTimeout closes an outgoing connection (Loop.Connect) that was
// not established within Config.ConnectTimeout.
var ErrConnectTimeout = errors.New("netpoll: connect timeout")
