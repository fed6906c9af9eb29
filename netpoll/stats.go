package netpoll

import "sync/atomic"

// Stats counts what a Server did since it started.
type Stats struct {
	// Accepted counts TCP connections accepted, including rejected ones.
	Accepted uint64
	// Rejected counts connections closed at once because MaxConns was
	// reached.
	Rejected uint64
	// AcceptErrors counts failed accept calls, such as EMFILE.
	AcceptErrors uint64
	// Active is the number of TCP connections open now.
	Active int64
	// BytesIn and BytesOut count bytes read from and written to sockets.
	BytesIn, BytesOut uint64
	// Backpressure counts the times reading a connection was paused
	// because its output passed Config.WriteLimit.
	Backpressure uint64
	// Resumed counts the times such a pause ended because the output
	// drained below half the limit. A connection closed while paused
	// never resumes, so Resumed may trail Backpressure.
	Resumed uint64
	// IdleTimeouts, WriteTimeouts and CloseTimeouts count connections
	// closed by each timeout.
	IdleTimeouts, WriteTimeouts, CloseTimeouts uint64
	// IOErrors counts connections ended by a failed read or write, such as
	// ECONNRESET or EPIPE.
	IOErrors uint64
	// Datagrams counts UDP datagrams delivered to the PacketHandler.
	Datagrams uint64
	// Truncated counts datagrams dropped because they did not fit
	// Config.UDPBuffer.
	Truncated uint64
	// DroppedReplies counts UDP replies the kernel refused to send.
	DroppedReplies uint64
	// Queued is the output, in bytes, that Conn.Write accepted and no
	// socket has taken yet, summed over the connections open now. On
	// the io_uring backend every reply waits in its queue until the
	// loop's next submission, so Queued there includes replies about to
	// be sent.
	Queued int64
}

// counters are one loop's live counters. Each loop owns one, so the atomic
// adds never contend; Server.Stats sums them.
type counters struct {
	accepted, rejected, acceptErrors          atomic.Uint64
	active                                    atomic.Int64
	bytesIn, bytesOut, backpressure, resumed  atomic.Uint64
	idleTimeouts, writeTimeouts, closeTimeout atomic.Uint64
	ioErrors, datagrams, truncated, dropped   atomic.Uint64
	queued                                    atomic.Int64
	// pad keeps the next loop's counters off this cache line.
	_ [64]byte
}

// addTo adds c to s.
func (c *counters) addTo(s *Stats) {
	s.Accepted += c.accepted.Load()
	s.Rejected += c.rejected.Load()
	s.AcceptErrors += c.acceptErrors.Load()
	s.Active += c.active.Load()
	s.BytesIn += c.bytesIn.Load()
	s.BytesOut += c.bytesOut.Load()
	s.Backpressure += c.backpressure.Load()
	s.Resumed += c.resumed.Load()
	s.IdleTimeouts += c.idleTimeouts.Load()
	s.WriteTimeouts += c.writeTimeouts.Load()
	s.CloseTimeouts += c.closeTimeout.Load()
	s.IOErrors += c.ioErrors.Load()
	s.Datagrams += c.datagrams.Load()
	s.Truncated += c.truncated.Load()
	s.DroppedReplies += c.dropped.Load()
	s.Queued += c.queued.Load()
}
