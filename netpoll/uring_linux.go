//go:build linux

package netpoll

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/netpoll/internal/uring"
)

// The io_uring backend (Config.Backend == BackendUring) runs the same
// Loop, Conn, output queue, timers, budgets and counters as the epoll
// backend; only the way the loop talks to the kernel differs. Instead of
// waiting for readiness and then reading and writing with a system call
// each, a loop keeps requests in flight on its own ring and reacts to
// their completions:
//
//   - each listener has a multishot accept, each connection a multishot
//     recv that picks buffers from the loop's provided buffer ring, so an
//     idle connection holds no buffer, and the wake-up eventfd a
//     multishot poll;
//   - Conn.Write queues its bytes and the loop sends them, one send in
//     flight per connection, in order;
//   - the requests a round prepared are submitted, and the next
//     completions waited for, with one io_uring_enter per round.
//
// Every request's user data carries its kind, the connection's
// descriptor and the connection's generation, and a connection's
// descriptor is closed only once none of its requests is in flight, so
// a completion can never reach a newer connection that reuses the
// number; the generation check in ringDispatch drops one that outlived
// its connection anyway.
//
// The ring is set up with IORING_SETUP_SINGLE_ISSUER and
// DEFER_TASKRUN, which bind it to the thread that enables it: the loop
// goroutine is locked to its OS thread for its whole life (Server.serve)
// and enables the ring there. The loop sleeps in io_uring_enter, as
// WaitSyscall sleeps in epoll_wait, whatever Config.Wait says, and
// yields to the Go scheduler as often (yieldEvery).

// Ring sizes. A round submits at most one send and one recv per
// connection, a few cancellations and the accept; more than ringEntries
// are submitted in several calls. The completion queue is larger because
// multishot requests post many completions per submission; completions
// it cannot hold are kept by the kernel (IORING_FEAT_NODROP) and posted
// once there is room.
const (
	ringEntries   = 2048
	ringCQEntries = 8 * ringEntries
)

// Provided buffers: ringBufs buffers of ringBufSize bytes per loop. A
// completion consumes a whole buffer however few bytes it carries, and
// every connection with input in a round takes one, so the ring holds
// many small buffers rather than a few large ones: 8 MiB of address
// space per loop, of which only the pages recvs have written become
// resident. The kernel is lent ringLend of them at first (BufRing), the
// same few going round while they suffice, so that a light load keeps
// few pages resident; a round that takes them all gets -ENOBUFS for the
// connections left over, which are re-armed once the round has given
// the buffers back (their input waits in the socket, nothing is lost),
// and the ring lends twice as many from then on, up to all. ringBufs and
// ringLend are variables so that tests can make a ring run dry.
var (
	ringBufs = 512
	ringLend = 32
)

const (
	ringBufSize = 16 << 10
	ringGroup   = 0
)

// ringIdleRelease is how long a loop must have received nothing before
// it gives the pages of its buffers back to the system (madvise
// MADV_DONTNEED) and lends the kernel ringLend buffers again: a loop
// that served a burst would otherwise keep every buffer the burst
// touched resident while it idles. The release is one madvise per idle
// spell, made when the loop wakes for it, never on the way of a message;
// the pages come back, zeroed, as recvs write them. The loop keeps one
// timeout request (IORING_OP_TIMEOUT) in flight while it has received
// since its last release, re-armed at most once per ringIdleRelease,
// rather than bounding each wait by the release's deadline, which would
// arm and cancel a kernel timer on every io_uring_enter. It is a
// variable so that tests need not wait for it.
var ringIdleRelease = 100 * time.Millisecond

// Batching completions. A loop that serves many connections at depth 1
// finds one or two completions per io_uring_enter, and pays one system
// call for each. Once a batch window (batchWindow) has seen input on at
// least batchConns connections, the next waits ask the kernel for about
// half as many completions, but for at most batchWait (min_wait_usec,
// Linux 6.12): after batchWait the call returns as soon as there is one.
// A loop whose input comes from fewer connections waits for one
// completion, as before, so one connection's ping-pong is never held
// back.
const (
	batchWindow = time.Millisecond
	batchConns  = 8
	batchMax    = 64
	batchWait   = 50 * time.Microsecond
)

// User data kinds.
const (
	udAccept uint64 = iota + 1
	udRecv
	udSend
	udWake
	udCancel
	udUDP
	udIdle
)

// maxRingFD bounds the descriptors the user data can name (24 bits).
const maxRingFD = 1 << 24

func ud(kind uint64, fd int, gen uint32) uint64 {
	return uint64(gen)<<32 | uint64(fd)<<8 | kind
}

func udSplit(u uint64) (kind uint64, fd int, gen uint32) {
	return u & 0xff, int(u>>8) & (maxRingFD - 1), uint32(u >> 32)
}

// A connection's requests, kept in Conn.events, which the epoll backend
// uses for its registered interest.
const (
	opRecv       eventFlags = 1 << iota // a multishot recv is armed
	opRecvCancel                        // its cancellation is submitted
	opSend                              // a send is in flight
	opStash                             // c.b.in holds input OnData has not seen
	opRelease                           // release waits for the requests to end
	opCancelAll                         // every request on the fd is being cancelled
)

// ringLoop is what a loop needs for the io_uring backend.
type ringLoop struct {
	r    *uring.Ring
	bufs *uring.BufRing

	// window counts batch windows; windowStart is when the current one
	// began, seen the connections with input in it, busy those in the
	// last one (zero if it was not the one just before).
	window      uint16
	windowStart int64
	seen, busy  int
	// lastInput is when a recv last completed with input; released is
	// set once the buffers' pages were given back after it. idleArmed
	// says the idle timeout request is in flight, for idleTS; idleDue
	// that it has completed and the round should look at the time.
	lastInput          int64
	released           bool
	idleArmed, idleDue bool
	idleTS             unix.Timespec
	// grew is set once the buffer ring has grown in this round.
	grew bool
	// batched counts the waits that asked for more than one
	// completion, for tests.
	batched uint64
	// acceptArmed says the listener's accept is in flight; acceptOne
	// that it is a single accept, armed while at Config.MaxConns, and
	// rearmOne that a multishot one is being cancelled to be re-armed
	// as a single one (armAccept).
	acceptArmed, acceptOne, rearmOne bool
	// nofile is the soft RLIMIT_NOFILE as read at nofileAt, the loop
	// time of the round that last accepted (overLimit); parked holds
	// the descriptors accepted past it (parkAccepted).
	nofile   uint64
	nofileAt int64
	parked   []int
	// wakeArmed says the eventfd's multishot poll is in flight.
	wakeArmed bool
	// rearm holds connections whose recv ended for want of buffers;
	// redeliver, connections whose stashed input waits for OnData.
	rearm, redeliver []*Conn
	// final is set once the loop is shutting down: nothing is submitted
	// any more.
	final bool
	// noLimit is set once the kernel has refused a recv's byte limit.
	noLimit bool
}

// newRingLoop sets up a disabled ring and its buffer ring; the loop
// enables it on its own thread.
func newRingLoop() (*ringLoop, error) {
	if err := CheckBackend(BackendUring); err != nil {
		return nil, err
	}
	r, err := uring.New(uring.Options{Entries: ringEntries, CQEntries: ringCQEntries})
	if err != nil {
		return nil, err
	}
	b, err := uring.NewBufRing(r, ringGroup, ringBufs, ringLend, ringBufSize)
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	return &ringLoop{r: r, bufs: b, window: 1, released: true}, nil
}

// close releases the ring; requests still in flight are cancelled by the
// kernel.
func (rl *ringLoop) close() error {
	if rl.final && rl.r == nil {
		return nil
	}
	rl.final = true
	err := errors.Join(rl.bufs.Close(rl.r), rl.r.Close())
	rl.r = nil
	return err
}

// sqe returns a free submission entry, submitting what is queued first
// if the queue is full.
func (l *Loop) sqe() *uring.SQE {
	rl := l.ring
	if s := rl.r.SQE(); s != nil {
		return s
	}
	rl.bufs.Publish()
	if err := rl.r.Submit(); err != nil {
		l.cfg.Logger.Error("netpoll: io_uring submit", "loop", l.idx, "err", err)
	}
	for {
		if s := rl.r.SQE(); s != nil {
			return s
		}
		// The kernel consumes every entry it is handed unless it is
		// short of memory; keep handing them over.
		_ = rl.r.Submit()
	}
}

// runRing is run for the io_uring backend: reap, dispatch, run
// handed-in work, expire timers, submit and wait in one io_uring_enter.
func (l *Loop) runRing() error {
	rl := l.ring
	if err := rl.r.Enable(); err != nil {
		return err
	}
	l.armWake()
	if l.ln != nil {
		l.armAccept()
	}
	if l.udp != nil {
		l.udp.events = 0 // registered with the ring, not epoll
		l.ringUDPInterest()
	}
	for !l.exiting {
		rl.bufs.Publish()
		rl.grew = false
		wait, minWait, timeout := l.ringWait()
		if minWait > 0 {
			rl.batched++
		}
		if err := rl.r.EnterMin(wait, minWait, timeout); err != nil {
			return err
		}
		l.now = l.clock()
		woken := l.reap()
		l.afterReap()
		if woken {
			l.runInbox()
		}
		l.expire()
		if l.draining && !l.drainSignalled {
			l.checkDrained()
		}
		l.ringIdle()
		if l.now-l.lastYield >= int64(yieldEvery) || hurried() {
			l.lastYield = l.now
			if err := l.yield(); err != nil {
				return err
			}
		}
	}
	return nil
}

// ringWait returns how many completions the next io_uring_enter waits
// for, for how long at least and at most: none when work is waiting
// already; else one, until the next deadline; or, when the last batch
// window saw many connections busy, several, for at most batchWait
// (batchFor).
func (l *Loop) ringWait() (wait uint32, minWait, timeout time.Duration) {
	rl := l.ring
	if len(rl.redeliver) > 0 || len(rl.rearm) > 0 {
		return 0, 0, 0
	}
	next := l.next()
	timeout = -1
	if next >= 0 {
		timeout = time.Duration(next - l.clock())
		if timeout <= 0 {
			return 0, 0, 0
		}
	}
	wait, minWait = batchFor(rl.busy, rl.r.MinWait())
	return wait, minWait, timeout
}

// batchFor returns how many completions to wait for, and for how long at
// most before one will do, when the last batch window saw input on busy
// connections and the kernel can bound the wait (canBatch).
func batchFor(busy int, canBatch bool) (uint32, time.Duration) {
	if !canBatch || busy < batchConns {
		return 1, 0
	}
	return uint32(min(busy/2, batchMax)), batchWait
}

// ringIdle ends the batch window once it has lasted batchWindow, and
// releases the buffers' pages once the loop has received nothing for
// ringIdleRelease.
func (l *Loop) ringIdle() {
	rl := l.ring
	if d := l.now - rl.windowStart; d >= int64(batchWindow) {
		rl.busy = rl.seen
		if d >= 2*int64(batchWindow) {
			// The window outlasted two: its connections were not
			// busy at once.
			rl.busy = 0
		}
		rl.seen = 0
		rl.window++
		rl.windowStart = l.now
	}
	if rl.idleDue {
		rl.idleDue = false
		switch idle := l.now - rl.lastInput; {
		case rl.released:
		case idle >= int64(ringIdleRelease):
			l.releaseBufs()
		default:
			l.armIdle(time.Duration(int64(ringIdleRelease) - idle))
		}
	}
}

// armIdle arms the idle timeout request to complete after d, unless it
// is in flight already.
func (l *Loop) armIdle(d time.Duration) {
	rl := l.ring
	if rl.final || rl.idleArmed {
		return
	}
	rl.idleTS = unix.NsecToTimespec(int64(d))
	uring.PrepTimeout(l.sqe(), &rl.idleTS, ud(udIdle, 0, 0))
	rl.idleArmed = true
}

// releaseBufs gives the pages of the loop's buffers back to the system
// and lends the kernel ringLend buffers again. Every buffer a completion
// handed the loop has been recycled by now. Buffers lent to the kernel
// are released too when the kernel cannot be filling one behind the
// loop's back (Ring.Quiet); else only those not lent, and the others
// once a later idle spell finds the ring quiet.
func (l *Loop) releaseBufs() {
	rl := l.ring
	rl.bufs.Shrink(ringLend)
	var err error
	if rl.r.Quiet() {
		err = rl.bufs.ReleaseAll()
		rl.released = true
	} else {
		err = rl.bufs.ReleaseFree()
		if rl.released = !rl.r.DeferTaskrun(); !rl.released {
			// The lent buffers' pages wait for a quiet ring.
			l.armIdle(ringIdleRelease)
		}
	}
	if err != nil {
		l.cfg.Logger.Error("netpoll: io_uring buffer release", "loop", l.idx, "err", err)
	}
}

// reap dispatches the completions ready now and reports whether the
// wake-up eventfd fired. It consumes each completion before acting on
// it, so that a submission made while dispatching, which may post more,
// always finds room; it stops after one queue's worth, so that a stream
// of completions cannot keep the loop from its timers and inbox.
func (l *Loop) reap() bool {
	r := l.ring.r
	woken := false
	for range r.CQEntries() {
		head, tail := r.Peek()
		if head == tail {
			break
		}
		cqe := *r.CQE(head)
		r.Advance(head + 1)
		if l.ringDispatch(&cqe) {
			woken = true
		}
		if len(l.later) > 0 {
			l.settle()
		}
	}
	return woken
}

// ringDispatch routes one completion; it reports whether it was the
// wake-up's.
func (l *Loop) ringDispatch(cqe *uring.CQE) bool {
	kind, fd, gen := udSplit(cqe.UserData)
	more := cqe.Flags&uring.CQEFMore != 0
	switch kind {
	case udWake:
		l.ring.wakeArmed = more
		l.poller.drainWake()
		if !more {
			l.armWake()
		}
		return true
	case udAccept:
		l.accepted(cqe, more)
		return false
	case udCancel:
		return false
	case udIdle:
		l.ring.idleArmed, l.ring.idleDue = false, true
		return false
	case udUDP:
		l.udpReady(cqe, gen)
		return false
	}
	var c *Conn
	if fd < len(l.conns) {
		c = l.conns[fd]
	}
	if c == nil || c.gen != gen {
		// Cannot happen while descriptors close only once their
		// requests have ended; a buffer must still go back.
		if cqe.Flags&uring.CQEFBuffer != 0 {
			l.recycle(cqe.BufferID())
		}
		return false
	}
	switch kind {
	case udRecv:
		l.received(c, cqe, more)
	case udSend:
		l.sent(c, cqe)
	}
	if c.events&opRelease != 0 && c.events&(opRecv|opSend) == 0 {
		c.events &^= opRelease
		l.release(c)
	}
	return false
}

// afterReap re-arms the recvs that ran out of buffers, now that the
// round has given its buffers back, and hands stashed input to handlers
// that resumed reading.
func (l *Loop) afterReap() {
	rl := l.ring
	for i := 0; i < len(rl.redeliver); i++ {
		c := rl.redeliver[i]
		rl.redeliver[i] = nil
		l.redeliverStash(c)
		if len(l.later) > 0 {
			l.settle()
		}
	}
	rl.redeliver = rl.redeliver[:0]
	for i, c := range rl.rearm {
		rl.rearm[i] = nil
		l.ringInterest(c)
	}
	rl.rearm = rl.rearm[:0]
}

// armWake arms the multishot poll on the wake-up eventfd.
func (l *Loop) armWake() {
	if l.ring.final || l.ring.wakeArmed {
		return
	}
	uring.PrepPollMultishot(l.sqe(), l.poller.wakefd, ud(udWake, 0, 0))
	l.ring.wakeArmed = true
}

// recycle gives buffer id back to the ring, to be published before the
// next submission.
func (l *Loop) recycle(id uint16) {
	l.ring.bufs.Recycle(id)
}

// errnoOf returns the error a negative completion result stands for.
func errnoOf(res int32) unix.Errno { return unix.Errno(-res) }
