// Package netpoll is a small epoll reactor for building TCP and UDP servers:
// event loops, connections with write queues and backpressure, per-loop
// timers and batched UDP. It knows nothing of
// framing, flags or logging policy; a Handler decides what bytes mean.
//
// # The contract
//
// A Server runs Config.Loops loops. Each loop is one goroutine (locked to
// its OS thread with Config.LockThreads) that owns:
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
//     socket keeps up. With Config.DeferWrites a write of up to 2 KiB is
//     copied instead and sent later in the round with the connection's
//     other output.
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
// Forwarders: Loop.Connect opens an outgoing connection on the loop
// that calls it, served by the same Handler (OnOpen once established,
// or OnClose alone if it fails or Config.ConnectTimeout passes), so an
// accepted connection and its upstream share a loop and need no
// locking. A RawHandler may mark a connection with Conn.SetRaw: the loop
// then leaves its bytes alone and hands its readiness to OnReadable and
// OnWritable (asked for with Conn.WantWritable), for a handler that moves
// bytes itself, for example with splice(2). Conn.CloseWrite passes a
// half-close on, and Conn.Abort closes with a reset.
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
// A loop with nothing to do parks its goroutine on the Go runtime's own
// poller (Config.Wait is WaitPark, the default), the way a goroutine
// reading from Go's net package is parked: it polls its epoll instance
// without blocking and, finding nothing, waits for the instance itself to
// become readable, holding no P (one of GOMAXPROCS) meanwhile. So the
// program's other goroutines (clients in the same process, timers, a
// metrics endpoint) run beside idle loops as they would beside idle
// connections on net, even with as many loops as Ps. A busy loop holds
// its P like any goroutine that computes, but at least once a
// millisecond it passes through the scheduler in a way that lets the
// runtime poll the network, so goroutines waiting for it are not left to
// sysmon (yieldEvery in yield_linux.go); while some goroutine holds
// Urgent (a metrics scrape, a health check), every loop yields after each
// round instead. Loops are not locked to their
// OS threads unless Config.LockThreads (or Config.CPUs) asks for it,
// because a locked goroutine that parks hands its P to another thread
// and back each time.
//
// WaitSyscall sleeps in a blocking epoll_wait instead, which keeps the
// loop's P while it sleeps: the runtime gives that P to other goroutines
// only when its sysmon thread retakes it, 20 µs to 10 ms later
// (runtime/proc.go, sysmon and retake), or when the loop yields. A sleep
// costs a ping-pong connection fewer system calls per message than a
// park, so a process that runs nothing but its loops and a metrics page,
// like rawnet's echo servers, may prefer it; a program with other work,
// or with clients of its own loops in the same process, should not.
// Config.HoldShortWaits makes such a loop sleep its first millisecond
// out of sysmon's reach, so that a loop waiting briefly and often is not
// retaken on almost every wait (holdWait in loop_linux.go says why).
// docs/perf/README.md ("Loops that share the process") measures both
// modes beside goroutines of the same process, and the CPU each costs a
// server that runs alone.
package netpoll
