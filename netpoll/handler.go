package netpoll

// Handler receives the events of TCP connections. Every call for a given
// connection is made on the goroutine of the loop that owns it, one at a
// time, so a Handler needs no locking for per-connection state; it must be
// safe for concurrent use across loops, because loops run in parallel.
// A callback must not block: while it runs, every other connection of
// its loop waits.
type Handler interface {
	// OnOpen is called once, before any other call for c.
	OnOpen(c *Conn)
	// OnData is called with the bytes c has received that earlier calls
	// left unconsumed, followed by the bytes just read. It returns how
	// many bytes, from the start of data, it consumed; the loop keeps the
	// rest and hands them in again, followed by more input, on the next
	// call. data belongs to the loop and is only valid until OnData
	// returns: it may be the loop's shared read buffer. Writing it, or
	// part of it, with c.Write before returning is fine.
	OnData(c *Conn, data []byte) (consumed int)
	// OnClose is called once, after c's socket was closed; c stays valid
	// afterwards, its Write returning ErrClosed (see Conn). err is nil
	// after an orderly close by either side, or says why c was closed:
	// ErrIdleTimeout, ErrWriteTimeout, ErrCloseTimeout, ErrInputLimit,
	// ErrServerClosed, an error wrapping ErrPanic, the error given to
	// Conn.CloseWithError, or the *os.SyscallError of a failed read or
	// write.
	OnClose(c *Conn, err error)
}

// PacketHandler receives the datagrams of a UDP server. Calls are made on
// the goroutine of the loop that read the datagram; like a Handler it must
// be safe for concurrent use across loops and must not block.
type PacketHandler interface {
	// OnPacket is called for each datagram that fitted the receive
	// buffer; truncated datagrams are dropped and counted, never
	// delivered. p and the slice p.Data returns are only valid until
	// OnPacket returns.
	OnPacket(p *Packet)
}

// RawHandler is a Handler that may move some connections' bytes itself,
// for example with splice(2) from one socket to another, instead of
// having the loop read into its buffer. A connection its OnOpen marks
// with Conn.SetRaw is never read or written by the loop: its readiness
// goes to these two callbacks instead, on the loop's goroutine, and the
// handler reads and writes Conn.Fd itself. Like every callback they must
// not block; the descriptor is non-blocking.
type RawHandler interface {
	Handler
	// OnReadable is called while raw connection c is readable and its
	// reading is not paused: input, the peer's FIN (a read of zero
	// bytes) or a pending error, which the next read reports. The
	// readiness is level-triggered: a handler that leaves input in the
	// socket is called again on the loop's next round, and one that
	// cannot take input now should PauseReading.
	OnReadable(c *Conn)
	// OnWritable is called while raw connection c is writable, or has a
	// pending error, and WantWritable(true) is in force.
	OnWritable(c *Conn)
}
