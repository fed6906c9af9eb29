// Package threads is the thread-per-connection engine: blocking sockets
// driven with raw system calls, each connection served by a goroutine locked
// to its own OS thread, as in a classic C or Java server.
//
// # Model
//
// One acceptor thread blocks in accept4(2). Before each accept it takes a
// slot in a pool bounded by Config.Threads; when every slot is busy it stops
// accepting, so new connections wait in the kernel's listen backlog until a
// worker frees up. Threads=1 is the iterative server. An accepted socket is
// handed to an idle pool worker, or to a new one while the pool is below its
// bound. Workers call runtime.LockOSThread and never unlock it: each owns
// one OS thread for its whole life, so every connection being served costs
// a thread, and an idle worker is a thread asleep in the pool. A worker idle
// for Config.ThreadKeepAlive exits, and its thread with it, so the threads
// a burst of connections needed do not stay for the server's life.
//
// A worker blocks in read(2) and write(2). Go parks the thread in the kernel
// and hands its P to another thread (entersyscall), so a blocked connection
// costs a sleeping thread, not a CPU.
//
// UDP uses Config.Loops sockets bound to the same address with SO_REUSEPORT
// (one socket when Loops is 1), each read by one locked thread blocking in
// recvfrom(2). Config.Threads does not apply to UDP: the datagram path has
// no connections to bound.
//
// # Limits
//
//   - Backpressure is the blocking write itself: a worker that cannot write
//     does not read, and no output is ever buffered in user space beyond the
//     input buffer holding the frames being echoed, so output held per
//     connection is bounded by the kernel send buffer, below any WriteLimit.
//     Errors.Backpressure counts the writes that found the send buffer full.
//   - IdleTimeout is SO_RCVTIMEO and WriteTimeout is SO_SNDTIMEO: blocking
//     calls on the socket return EAGAIN when they expire (socket(7)).
//     IdleTimeout also bounds a frame in progress: while a partial frame
//     is buffered, SO_RCVTIMEO is lowered to the time left until
//     IdleTimeout after the frame began (or the previous one ended), so a
//     peer trickling a byte now and then of a frame it never finishes
//     (slowloris) is closed too, within an eighth of IdleTimeout of its
//     deadline, and counted in Errors.Idle.
//   - Input beyond engine.UnbudgetedInput (64 KiB) per connection, which
//     only frames longer than that need, comes from the server-wide
//     Config.InputBudget: the first growth past it reserves room for a
//     whole frame of the limit, and a thread that cannot get it stops
//     reading and waits in the budget's queue until other connections
//     give bytes back, its frame times out (Errors.Idle) or Shutdown
//     forces it closed. The buffer shrinks back, and the reservation is
//     returned, once the large frame is echoed.
//   - MaxConns: a connection over the limit is accepted and closed at once.
//   - EMFILE and ENFILE on accept are counted, the acceptor backs off and
//     retries, and open connections keep being served.
//
// # Shutdown
//
// Blocked threads are woken with shutdown(2), never by closing an fd another
// thread may be using: SHUT_RD on the listener makes a blocked accept4
// return EINVAL, SHUT_RD on a connection makes read return 0 once the bytes
// already received are consumed, and SHUT_RDWR at the drain deadline makes
// a blocked write fail. Only the thread serving a socket closes it, after it
// has left the registry Shutdown walks, so an fd number is never shut down
// after it has been reused.
package threads
