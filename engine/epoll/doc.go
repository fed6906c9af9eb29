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
