// Package pool is the thread-pool engine: netpoll event loops read
// connections and cut frames, and a bounded pool of workers runs the
// handler (engine.Config.Work) on them, as a server that hands requests
// from its reactor to a pool of worker threads does (a Java NIO server
// with an executor, memcached's or MySQL's thread pools).
//
// # Model
//
// Config.Loops loops, spread over connections by Config.Balance, read
// each connection into their buffers as the epoll engine does and cut
// the complete frames with frame.Scan. The frames of one read are copied
// into a task (buffers.go: power-of-two buffers recycled through
// sync.Pools) and pushed onto the pool's queue; a worker takes the task,
// applies the work to each frame, and hands the task back to the
// connection's loop with Loop.Submit, which writes the frames back in
// one write and recycles the buffer.
//
// At most Config.Workers workers run the handler at once (when zero,
// max(4, 2 per CPU): engine.DefaultWorkers says why, and
// docs/perf/README.md, "The pool engine's workers", has the
// measurements). A worker blocked in the handler's sleep does not count:
// another starts in its place while tasks wait, up to Config.Threads
// workers in all (workers.go), so a handler that waits on a database
// does not leave the CPUs idle behind a few sleeping workers. They start
// as tasks arrive and exit once idle for Config.ThreadKeepAlive. With Config.WorkerKind WorkerThread (the
// default) each worker is a goroutine locked to an OS thread of its own
// for its whole life, so it takes its thread with it when it exits, and
// its sleep work blocks that thread in nanosleep(2); with WorkerGoroutine
// workers are plain goroutines whose sleeps park, so the same design can
// be measured with and without the cost of OS threads. WorkerThreadPark
// workers are locked to threads of their own as thread workers are, but
// their sleeps park: a thread in nanosleep keeps its P (one of
// GOMAXPROCS) until the runtime's monitor takes it back, 20 µs to 10 ms
// later, and with few Ps every sleep so stalls the loops and the other
// workers meanwhile; a parked locked goroutine hands its P on at once
// and its thread waits in the runtime. Config.CPUAffinity
// pins the loops, as in the epoll engine, and the thread workers, one
// per listed CPU in turn; goroutine workers run where the runtime puts
// them.
//
// # Order
//
// A connection has at most one task at a time, holding every complete
// frame of the read that produced it, and is not read while it has one
// (netpoll.Conn.PauseReading; ResumeReading once the echo is written).
// So two workers never hold frames of the same connection, and the
// echo leaves in the order the frames came, without sequence numbers.
// Frames that arrive meanwhile wait in the socket, where TCP flow
// control holds the peer back, and make the next task; a pipelining peer
// gets its frames worked on in batches. Not reading also keeps the
// peer's FIN unread until the frames before it are echoed: netpoll
// closes a connection as soon as it reads the FIN and has nothing left
// to flush, and the echo of frames still with a worker would be lost.
//
// Every complete frame is consumed in OnData: netpoll hands unconsumed
// input back only with new bytes, even after ResumeReading, so frames
// left behind would wait for bytes the peer may never send. Only a
// partial frame is left to the loop, and it waits for those bytes anyway.
//
// # Bounds
//
//   - A connection holds at most one task, the complete frames of one
//     read: at most the loop's read buffer (64 KiB) or, for a frame
//     longer than that, the frame limit; the loop holds a partial frame
//     as the epoll engine does, large ones within Config.InputBudget.
//   - The queue holds queueLen (1024) tasks. A loop never waits for it:
//     a task that does not fit waits in the loop's backlog, its
//     connection still not read, until a worker takes a task from the
//     queue and hands the loops that wait the room (backlog_linux.go).
//     A full queue so stops the reading of every connection with frames
//     to hand on, and the memory held for the workers is at most one task
//     per connection, whatever the peers send.
//   - Past Config.WriteLimit of unsent echo the loop stops reading the
//     connection until it drains (netpoll's backpressure), as in epoll.
//
// # UDP
//
// Each loop reads its SO_REUSEPORT socket with recvmmsg and checks each
// datagram (rate limit, exactly one frame) as the epoll engine does; a
// copy goes to the workers, and the worker that applied the work sends
// the reply itself with sendto(2) on its own duplicate of the loop's
// socket, since a datagram has no order to keep and netpoll replies only
// from within OnPacket. A datagram that finds the queue full, or 16 MiB
// of datagrams already with the workers, is dropped and counted in
// Errors.Unechoed: a UDP server cannot make one sender wait.
//
// # Timeouts and shutdown
//
// The idle timeout counts from the last read or write, so a task's time
// with a worker counts towards it, as a slow handler's would. Shutdown
// closes the listeners and drains the connections as the epoll engine
// does; a connection whose task is with a worker is not read and counts
// as quiet, so its task must come back within the drain's quiet time
// (200 ms) for its echo to be written. Once the loops have stopped, the
// workers finish the tasks they hold, the queued ones are dropped and
// counted, and the workers exit before Done is closed.
package pool
