//go:build linux

package netpoll

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Loop is one event loop: an epoll instance, the connections registered
// with it and the buffers they share, all driven by one goroutine (locked
// to its OS thread with Config.LockThreads). Submit and Index may be
// called from any goroutine, as may Conn.Loop, which finds a connection's
// loop; everything a loop owns, its Conns included, only from the loop's
// own goroutine (see the package documentation).
type Loop struct {
	srv     *Server
	idx     int
	cfg     *Config
	handler Handler       // TCP servers
	raw     RawHandler    // handler, if it is one (Conn.SetRaw)
	packets PacketHandler // UDP servers
	poller  *poller
	ring    *ringLoop // the io_uring backend's, nil for epoll

	conns     []*Conn // by fd; a slice, not a map: fds are small and dense
	nconns    int
	gen       uint32    // last generation handed to a connection
	later     []*Conn   // connections to move on at the next safe point
	held      []*Conn   // connections with output held back (Config.DeferWrites)
	heldBytes int       // output held back since it was last sent
	timers    timerHeap // connections with a deadline

	readBuf  []byte // shared by every connection of the loop
	pool     bufPool
	busyFree []*busy
	iov      []unix.Iovec // scratch for sendmsg
	msg      unix.Msghdr
	rsa      unix.RawSockaddrAny // scratch for accept4

	ln  *listener  // the listening socket this loop accepts on, if any
	udp *udpSocket // the UDP socket this loop serves, if any

	epoch time.Time
	now   int64 // nanoseconds since epoch, read once per iteration
	spin  bool  // the last round was busy: poll before blocking

	// heldWaits counts the waits held as Go code (Config.HoldShortWaits)
	// that ended with events, for tests.
	heldWaits int

	// lastYield is the loop time of the last pass through the Go
	// scheduler: a yield or, with WaitPark, a park that slept.
	lastYield int64
	// yields counts the loop's yields (see yieldEvery).
	yields uint64
	// sharedAt is the loop time of the last round that found several
	// descriptors ready (Config.ReadShare).
	sharedAt int64

	draining       bool // the server is shutting down: finish, then close
	drainSignalled bool
	exiting        bool

	// The inbox: work handed in by other goroutines, guarded by mu and
	// announced with poller.wake.
	mu                    sync.Mutex
	closed                bool
	tasks, spareTasks     []func()
	incoming, spareIncome []pendingConn

	stats counters
	// load counts connections assigned to this loop, open or still in
	// the inbox, for LeastConn.
	load atomic.Int64
}

// pendingConn is an accepted socket on its way to another loop.
type pendingConn struct {
	fd   int
	addr netip.AddrPort
}

func newLoop(s *Server, idx int) (*Loop, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	open := p.openYield
	if s.cfg.Wait == WaitPark && s.cfg.Backend != BackendUring {
		open = p.openPark
	}
	if err := open(); err != nil {
		_ = p.close()
		return nil, err
	}
	var rl *ringLoop
	if s.cfg.Backend == BackendUring {
		if rl, err = newRingLoop(); err != nil {
			_ = p.close()
			return nil, err
		}
	}
	return &Loop{
		srv:     s,
		idx:     idx,
		cfg:     &s.cfg,
		poller:  p,
		ring:    rl,
		readBuf: make([]byte, s.cfg.ReadBuffer),
		iov:     make([]unix.Iovec, 0, maxIOV),
		epoch:   s.epoch,
	}, nil
}

// Index returns the loop's position among its server's loops, from 0. It
// may be called from any goroutine.
func (l *Loop) Index() int { return l.idx }

// run is the loop: wait, dispatch, run handed-in work, expire timers,
// now and then yield to the Go scheduler (yieldEvery; with WaitPark the
// yield is part of the wait). It returns when the server stops it or
// epoll fails.
func (l *Loop) run() error {
	if l.ring != nil {
		return l.runRing()
	}
	for !l.exiting {
		n, woken, err := l.wait()
		if err != nil {
			return err
		}
		l.now = l.clock()
		for i := 0; i < n; i++ {
			l.dispatch(l.poller.event(i))
			if len(l.later) > 0 {
				l.settle()
			}
			l.sendHeldIfFull()
		}
		if woken {
			l.runInbox()
		}
		l.expire()
		if len(l.held) > 0 {
			l.sendHeld()
		}
		if l.draining && !l.drainSignalled {
			l.checkDrained()
		}
		if l.cfg.Wait == WaitSyscall && (l.now-l.lastYield >= int64(yieldEvery) || hurried()) {
			l.lastYield = l.now
			if err := l.yield(); err != nil {
				return err
			}
		}
	}
	return nil
}

// wait returns the next round of events. With WaitPark that is park's
// business; the rest of this comment is about WaitSyscall. After a busy
// round wait first polls without blocking and blocks only if that poll
// comes back empty: with other connections active, events have usually
// arrived while the round ran, and the zero-timeout poll is a RawSyscall6
// that skips the runtime's entersyscall/exitsyscall (see poller.wait).
// After a quiet round it blocks at once, because a poll that finds
// nothing is a wasted system call.
//
// "Busy" means at least Config.spinEvents events, two by default, so a
// lone ping-pong connection, which has one event per round, never pays
// for the poll: BenchmarkEcho's wait=syscall,poll=always case, which
// polls after every round with events, made such a round trip slower
// than blocking at once, and its poll never found anything
// (docs/perf/README.md has the figures).
func (l *Loop) wait() (int, bool, error) {
	if l.cfg.Wait == WaitPark {
		return l.park()
	}
	if l.spin {
		n, woken, err := l.poller.wait(0)
		if err != nil || n > 0 || woken {
			l.spin = n >= l.cfg.spinEvents
			return n, woken, err
		}
	}
	l.now = l.clock()
	msec := l.timeout()
	// While some goroutine holds Urgent, the P is wanted: the wait is
	// left where sysmon can hand it on.
	if l.cfg.HoldShortWaits && msec != 0 && !hurried() {
		held := holdMsec(msec)
		n, woken, err := l.poller.waitHeld(held)
		if n > 0 || woken {
			l.heldWaits++
		}
		if err != nil || n > 0 || woken || held == msec {
			l.spin = n >= l.cfg.spinEvents
			return n, woken, err
		}
		// Nothing came: the loop is idle, and its P is better left to
		// the runtime.
		l.now = l.clock()
		msec = l.timeout()
	}
	n, woken, err := l.poller.wait(msec)
	l.spin = n >= l.cfg.spinEvents
	return n, woken, err
}

// holdWait is how long a loop with Config.HoldShortWaits sleeps in an
// epoll_wait the runtime does not know about before it blocks in one it
// does. An ordinary blocking system call (entersyscall) leaves the P to
// sysmon: with no idle P in the process (GOMAXPROCS loops, or one loop
// pinned to one CPU, whose GOMAXPROCS is then 1), sysmon retakes the P of
// any call it finds in progress on two consecutive looks, and every
// retake sends it back to looking every 20 µs (runtime/proc.go, sysmon
// and retake). Once the P is idle sysmon sleeps until the loop's wait
// returns and, finding its P gone, wakes it (exitsyscall), which starts
// it again at 20 µs. A loop that waits a few hundred microseconds per
// message, as a forwarder with one ping-pong connection does, can fall
// into that cycle and stay there: nearly every wait retaken, sysmon woken
// by futex and sleeping in nanosleep on the loop's CPU several times per
// message, and the loop resumed on another thread now and then. Whether
// it does depends on how long the waits are, so on the machine's load. A
// wait held as Go code cannot be retaken. Held for at most a millisecond,
// it delays what would otherwise run on the P no more than the yield does
// (yieldEvery), and a stop-the-world preempts it at once: the preemption
// signal interrupts epoll_wait, which the kernel never restarts
// (signal(7)), and the loop reaches a safe point as soon as it calls a
// function.
const holdWait = time.Millisecond

// holdMsec returns the timeout of a held wait for a wait of msec
// milliseconds (-1: no deadline): msec itself if it is within holdWait,
// else holdWait.
func holdMsec(msec int) int {
	h := int(holdWait / time.Millisecond)
	if msec < 0 || msec > h {
		return h
	}
	return msec
}

// park is wait for Config.Wait == WaitPark: the check that begins every
// park is itself a zero-timeout poll (park_linux.go), so no round polls
// before it, busy or not, and the loop parks only when that poll finds
// nothing. A loop that has not slept for yieldEvery parks even with
// events ready, as its yield (see yieldEvery). A deadline already due
// makes it poll instead.
func (l *Loop) park() (int, bool, error) {
	l.now = l.clock()
	next := l.next()
	if next >= 0 && next <= l.now {
		// The runtime reports a passed deadline before it parks, so the
		// yield waits for the next round.
		return l.poller.wait(0)
	}
	yield := l.now-l.lastYield >= int64(yieldEvery) || hurried()
	n, woken, slept, err := l.poller.park(next, l.epoch, yield)
	if slept {
		// The time it woke, not the time it began to wait: a loop that
		// slept long has been through the scheduler since.
		l.lastYield = l.clock()
	}
	if yield {
		l.yields++
		afterYield()
	}
	return n, woken, err
}

// next returns the loop time of the next deadline (a connection's timer,
// or a paused listener's resumption), or -1 for none.
func (l *Loop) next() int64 {
	next := int64(-1)
	if c, at := l.timers.first(); c != nil {
		next = at
	}
	if l.ln != nil && l.ln.pausedUntil != 0 && (next < 0 || l.ln.pausedUntil < next) {
		next = l.ln.pausedUntil
	}
	return next
}

// timeout returns the epoll_wait timeout in milliseconds until the next
// deadline, rounded up so that the loop never wakes just before it, or -1.
func (l *Loop) timeout() int {
	next := l.next()
	if next < 0 {
		return -1
	}
	d := next - l.now
	if d <= 0 {
		return 0
	}
	return int(min((d+int64(time.Millisecond)-1)/int64(time.Millisecond), 1<<30))
}

func (l *Loop) clock() int64 { return int64(time.Since(l.epoch)) }

// dispatch routes one event to the listener, the UDP socket or a
// connection. Events for a connection closed earlier in the same round,
// whose fd may already belong to a newer connection, are recognised by
// their generation tag and dropped.
func (l *Loop) dispatch(ev event) {
	if l.ln != nil && ev.fd == l.ln.fd {
		l.accept()
		return
	}
	if l.udp != nil && ev.fd == l.udp.fd {
		l.udpEvent(ev.flags)
		return
	}
	if ev.fd >= len(l.conns) {
		return
	}
	c := l.conns[ev.fd]
	if c == nil || c.gen != ev.tag {
		return
	}
	l.connEvent(c, ev.flags)
}

// expire acts on due deadlines: connection timeouts, and resuming a
// listener paused after fd exhaustion.
func (l *Loop) expire() {
	if l.ln != nil && l.ln.pausedUntil != 0 && l.now >= l.ln.pausedUntil {
		l.resumeAccept()
	}
	for {
		c, due := l.timers.first()
		if c == nil || due > l.now {
			break
		}
		at, reason := l.dueAt(c)
		switch {
		case at == 0:
			l.timers.remove(c)
		case at > l.now:
			l.timers.set(c, at)
		default:
			l.timers.remove(c)
			l.timedOut(c, reason)
		}
	}
	if len(l.later) > 0 {
		l.settle()
	}
}

// settle moves on the connections queued by fail and startClose. It runs
// between callbacks, never inside one, so a handler never sees OnClose
// for a connection while it is still using it.
func (l *Loop) settle() {
	for i := 0; i < len(l.later); i++ {
		c := l.later[i]
		l.later[i] = nil
		c.flags &^= flagQueued
		l.advance(c)
	}
	l.later = l.later[:0]
}

// logPanic reports a recovered handler panic.
func (l *Loop) logPanic(where string, r any) error {
	err := fmt.Errorf("%w in %s: %v", ErrPanic, where, r)
	l.cfg.Logger.Error("netpoll: handler panicked", "loop", l.idx, "callback", where, "panic", r)
	return err
}
