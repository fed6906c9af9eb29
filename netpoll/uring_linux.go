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
// resident. A round that takes them all gets -ENOBUFS for the
// connections left over, which are re-armed once the round has given
// the buffers back: their input waits in the socket, nothing is lost.
// ringBufs is a variable so that tests can make a ring run dry.
var ringBufs = 512

const (
	ringBufSize = 16 << 10
	ringGroup   = 0
)

// User data kinds.
const (
	udAccept uint64 = iota + 1
	udRecv
	udSend
	udWake
	udCancel
	udUDP
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

	// recycled says buffers were given back since the last Publish.
	recycled bool
	// acceptArmed says the listener's multishot accept is in flight.
	acceptArmed bool
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
	b, err := uring.NewBufRing(r, ringGroup, ringBufs, ringBufSize)
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	return &ringLoop{r: r, bufs: b}, nil
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
	rl.publish()
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

// publish hands the recycled buffers back to the kernel.
func (rl *ringLoop) publish() {
	if rl.recycled {
		rl.bufs.Publish()
		rl.recycled = false
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
		rl.publish()
		if err := rl.r.Enter(l.ringWait()); err != nil {
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
// for and for how long: none when work is waiting already, else one,
// until the next deadline.
func (l *Loop) ringWait() (uint32, time.Duration) {
	if len(l.ring.redeliver) > 0 || len(l.ring.rearm) > 0 {
		return 0, 0
	}
	next := l.next()
	if next < 0 {
		return 1, -1
	}
	d := time.Duration(next - l.clock())
	if d <= 0 {
		return 0, 0
	}
	return 1, d
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
	l.ring.recycled = true
}

// errnoOf returns the error a negative completion result stands for.
func errnoOf(res int32) unix.Errno { return unix.Errno(-res) }
