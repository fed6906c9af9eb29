// Package epoll is the event-loop engine: rawnet's echo and framing
// protocols served by netpoll, the hand-written epoll reactor.
//
// TCP: Config.Loops loops, each on a locked OS thread, share the
// connections; Config.Balance picks how (reuseport: one SO_REUSEPORT
// listener per loop; roundrobin or leastconn: one listener in loop 0 that
// hands connections out). Each read lands in the loop's shared buffer; the
// codec walks it and every complete frame is written back from that same
// buffer in one send, so echoing copies nothing while the socket keeps up.
// A partial frame at the end of a read is all a connection keeps between
// reads, in a pooled buffer sized to it; an idle connection holds no
// buffer. Output the socket refuses is queued, and past Config.WriteLimit
// the loop stops reading that connection until the queue drains below
// half. A bad frame gets the frames before it echoed, is counted and
// logged, and closes the connection gracefully: the echo is flushed, then
// FIN, then the connection lingers until the peer closes so that unread
// input does not turn the FIN into a reset.
//
// IdleTimeout also bounds a frame in progress: the engine runs netpoll
// with IdleBoundsPartial, so bytes that only add to a partial frame do
// not renew the idle timer, and a frame must complete within IdleTimeout
// of the read that began it or completed the frame before it. A peer that
// trickles a byte now and then of a frame it never finishes (slowloris)
// is closed by the loop's timer heap, at no cost per read beyond one
// comparison, and counted in Errors.Idle.
//
// Input for frames longer than engine.UnbudgetedInput (64 KiB) comes
// from the server-wide Config.InputBudget, shared by the loops through
// one budget (engine/internal/budget). Once a connection's partial frame
// outgrows 64 KiB, which it may overshoot by one read, it reserves room
// for a whole frame of the limit; when that much is not free, reading it
// pauses (netpoll.Conn.PauseReading) and it waits in the budget's queue
// until another connection, on any loop, gives bytes back and the grant
// is handed to its loop with Loop.Submit, or until its frame times out;
// once Shutdown has begun, a connection still waiting counts as quiet and
// is closed with the drain. The reservation goes back once what the loop
// holds for it fits in 64 KiB again, or at close. Frames of everyday
// sizes never touch the budget.
//
// UDP: one SO_REUSEPORT socket per loop, read with recvmmsg and answered
// with sendmmsg in batches; a datagram is echoed only if it holds exactly
// one frame, and one the kernel truncated is dropped and counted.
//
// Socket options: the listener gets both the listener options and the
// per-connection ones (TCP_NODELAY, keepalive, SO_BUSY_POLL), which Linux
// copies to every accepted socket (inet_csk_clone_lock), so accepting
// costs no setsockopt; only TCP_QUICKACK, which the kernel does not keep,
// is set again on each connection.
//
// Shutdown closes the listeners, serves every connection until its peer
// has been quiet for 200 ms, flushes and closes it, and releases every
// descriptor.
package epoll
