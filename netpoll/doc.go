// Package netpoll is a small epoll reactor for building TCP and UDP servers:
// event loops, connections with write queues and backpressure, per-loop
// timers and batched UDP. It knows nothing of
// framing, flags or logging policy; a Handler decides what bytes mean.
//
// # The contract
//
// A Server runs Config.Loops loops. Each loop is one goroutine, locked to
// its OS thread unless Config.UnlockThreads, that owns:
//
//   - an epoll instance, level-triggered, plus an eventfd that other
//     goroutines use to wake it;
//   - the connections registered with it, in a slice indexed by fd, each
//     tagged with a generation so that an event for a closed connection is
//     never delivered to the next one that reuses its fd;
//   - one read buffer (Config.ReadBuffer) shared by all its connections,
//     a pool of buffers for partial input and unsent output, and a timer
//     heap for idle, write and close deadlines;
//   - its listener (one per loop with ReusePort, one in loop 0 otherwise)
//     or, for UDP, one SO_REUSEPORT socket with its batch buffers.
//
// Nothing a loop owns is locked. So:
//
//   - Handler and PacketHandler callbacks run on the loop that owns the
//     connection, one at a time per loop, and must not block. Different
//     loops call the same Handler in parallel.
//   - Conn methods may only be called on the owning loop: from its
//     callbacks or from a function given to Loop.Submit. Conn.Loop,
//     Loop.Submit and Loop.Index are the only calls safe from any
//     goroutine; Submit is how other goroutines reach a connection.
//   - A Packet, and everything it returns, is valid only during the
//     OnPacket call that received it.
//   - Server methods are safe from any goroutine; Shutdown, which waits
//     for the loops, must not be called from a callback.
//
// Byte ownership:
//
//   - The data passed to OnData, and Packet.Data, belong to the loop and
//     are valid only until the callback returns; they may be the loop's
//     shared read buffer. OnData returns how many bytes it consumed; the
//     loop keeps the rest (copying it out of the shared buffer) and hands
//     it in again, followed by new input, on the next call.
//   - Conn.Write sends at once and copies only what the socket did not
//     take; its argument may be reused as soon as it returns. Writing the
//     OnData slice itself, as an echo server does, copies nothing when the
//     socket keeps up.
//   - Packet.Reply references its argument when it lies within
//     Packet.Data (the receive buffer stays untouched until the replies of
//     its batch are sent) and copies anything else.
//
// Lifecycle of a TCP connection: OnOpen; OnData for each read; then, after
// the peer's FIN, Close, an error or a timeout, exactly one OnClose once
// the socket is closed. The Conn stays valid after OnClose and is never
// reused: its Write, Close and CloseWithError return ErrClosed (as they
// do from the moment it starts closing), so a goroutine pushing to a
// connection needs no news of its close beyond that error:
//
//	err := c.Loop().Submit(func() {
//		if _, err := c.Write(msg); err != nil {
//			// ErrClosed: c closed before this ran.
//		}
//	})
//	if err != nil {
//		// ErrClosed: the loop has stopped; the function will not run.
//	}
//
// A graceful close flushes pending output, shuts down the write side and
// waits (within Config.CloseTimeout) for the peer to close, so unread
// input cannot turn the FIN into a reset. Past Config.WriteLimit of
// queued output the loop stops reading the connection until the queue
// drains below half; a handler may also stop reading one itself, with
// Conn.PauseReading, until Conn.ResumeReading. With
// Config.IdleBoundsPartial the idle timeout also bounds a message in
// progress: input the handler leaves unconsumed does not count as
// activity until it consumes some. A panicking callback closes its
// connection with an error wrapping ErrPanic; the server keeps running.
//
// Shutdown stops accepting and serves every connection until its peer has
// been quiet for Config.DrainQuiet, flushes its output and closes it, then
// stops the loops and releases every descriptor: epoll instances,
// eventfds, listeners and reserve fds. Running out of descriptors pauses
// accepting instead of spinning; a shortage that lasts sheds the queued
// connections with a reserve descriptor.
//
// netpoll needs Linux; elsewhere Listen and ListenPacket return
// ErrUnsupported.
//
// # Loops and the rest of the program
//
// A loop sleeps in epoll_wait through an ordinary system call, so its
// goroutine keeps its P (one of GOMAXPROCS) while it sleeps: the runtime
// gives that P to other goroutines only when its sysmon thread retakes
// it, 20 µs to 10 ms later (runtime/proc.go, sysmon and retake). Go's own
// poller has no such cost, because its goroutines park without holding a
// P. So when Loops is GOMAXPROCS or more and every loop is asleep, the
// program's other goroutines (clients in the same process, timers, an
// admin endpoint) wait for sysmon. A program that does latency-sensitive
// work besides its loops should leave a P free: Loops below GOMAXPROCS,
// or GOMAXPROCS raised. In a process whose goroutines on Go's net package
// ping-pong with its loops, tail latency with as many loops as Ps was
// several times that with one loop fewer, and a goroutine-per-connection
// server on net did as well as the latter (docs/perf/README.md has the
// figures). A process that does nothing but run its loops, such as
// cmd/echo-tcp, has nothing else to wait.
package netpoll
