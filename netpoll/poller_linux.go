//go:build linux

package netpoll

import (
	"encoding/binary"
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// eventFlags is a set of epoll readiness flags: the interest given to
// add and mod, and what event reports.
type eventFlags uint32

// Readiness flags, as epoll_ctl(2) names them.
const (
	// eventRead is EPOLLIN: data, a FIN or a pending connection to read.
	eventRead eventFlags = unix.EPOLLIN
	// eventWrite is EPOLLOUT: room in the socket's send buffer.
	eventWrite eventFlags = unix.EPOLLOUT
	// eventReadHup is EPOLLRDHUP: the peer shut down its writing half.
	eventReadHup eventFlags = unix.EPOLLRDHUP
	// eventHup is EPOLLHUP: both halves are shut down; always reported.
	eventHup eventFlags = unix.EPOLLHUP
	// eventErr is EPOLLERR: the socket has a pending error; always
	// reported.
	eventErr eventFlags = unix.EPOLLERR
)

// Event list sizes: wait starts with initEvents slots, doubles the list
// when a call fills it and halves it after shrinkAfter calls in a row that
// used under a quarter of it, within [minEvents, maxEvents]. Shrinking
// only after a run of sparse calls keeps a loop whose load comes in bursts
// from reallocating the list back and forth.
const (
	initEvents  = 128
	minEvents   = 32
	maxEvents   = 4096
	shrinkAfter = 64
)

// event is one readiness report from poller.wait.
type event struct {
	// fd is the descriptor that is ready.
	fd int
	// tag is the value given to add or mod for fd, such as a generation
	// counter that tells a report for a closed descriptor from one for a
	// new descriptor that reused its number.
	tag uint32
	// flags says what fd is ready for.
	flags eventFlags
}

// poller is one epoll instance plus an eventfd that lets other goroutines
// wake it. It is level-triggered: a descriptor that stays readable is
// reported by every wait until it is drained, so a loop may stop reading a
// connection at any point (a read budget, backpressure) and be told again
// on the next wait. Edge-triggered mode (EPOLLET) would report a
// descriptor only when it becomes ready, saving the kernel a re-check of
// the ready list, but then every reader must drain to EAGAIN (or remember
// to come back by itself) or it is never told again (epoll(7), "Level
// triggered and edge-triggered"): a read budget would need a re-queue list
// of its own, and a missed drain is a hung connection. Level-triggered is
// the simpler contract; the cost is one extra epoll_ctl to drop EPOLLOUT
// once output has drained.
//
// add, mod, del, wait and event must be called from one goroutine, the
// owner; wake may be called from any goroutine.
type poller struct {
	epfd   int
	wakefd int
	// wakePending is set by the wake that writes the eventfd and cleared
	// by the wait that reads it, so that many wakes between two waits cost
	// one write.
	wakePending atomic.Bool
	events      []unix.EpollEvent
	used        int // events the last wait returned, wake-up included
	sparse      int // consecutive waits that used under a quarter of the list
	wakeBuf     [8]byte

	one [8]byte // an eventfd increment of 1

	// Parking on the Go runtime's poller (park_linux.go), set up by
	// openPark: file owns epfd and rc waits on it; until is the deadline
	// set on file; check is poll, which leaves its result in ready and
	// errno and counts its calls in checks; selfWake makes its first
	// call write the wake-up eventfd instead.
	file     *os.File
	rc       syscall.RawConn
	until    int64
	check    func(uintptr) bool
	ready    int
	errno    unix.Errno
	checks   int
	selfWake bool

	// Yielding through the runtime's poller without parking on it
	// (yield_linux.go), set up by openYield: yieldFile owns an eventfd
	// of its own and yieldRC waits on it with yieldCheck, which is
	// yieldPoll.
	yieldFile  *os.File
	yieldRC    syscall.RawConn
	yieldCheck func(uintptr) bool
}

// newPoller creates an epoll instance and its wake-up eventfd, both
// close-on-exec.
func newPoller() (p *poller, err error) {
	p = &poller{epfd: -1, wakefd: -1, events: make([]unix.EpollEvent, initEvents)}
	// The eventfd counter is "an 8-byte integer" in host byte order
	// (eventfd(2)).
	binary.NativeEndian.PutUint64(p.one[:], 1)
	defer func() {
		if err != nil {
			_ = p.close()
			p = nil
		}
	}()
	if p.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, wrapSyscall("epoll_create1", err)
	}
	if p.wakefd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return nil, wrapSyscall("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(p.wakefd)}
	if err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, p.wakefd, &ev); err != nil {
		return nil, wrapSyscall("epoll_ctl", err)
	}
	return p, nil
}

// add registers fd for the events in ev, tagged with tag.
func (p *poller) add(fd int, tag uint32, ev eventFlags) error {
	return p.ctl(unix.EPOLL_CTL_ADD, fd, tag, ev)
}

// mod replaces the events and tag registered for fd.
func (p *poller) mod(fd int, tag uint32, ev eventFlags) error {
	return p.ctl(unix.EPOLL_CTL_MOD, fd, tag, ev)
}

// del removes fd. Closing a descriptor removes it from epoll only once
// every descriptor referring to the same open file is closed (epoll(7),
// Q6), so a descriptor that may have been duplicated must be deleted
// before it is closed, or events for the closed number keep coming.
func (p *poller) del(fd int) error {
	// A non-nil event pointer keeps kernels before 2.6.9 happy
	// (epoll_ctl(2), BUGS); it costs nothing.
	var ev unix.EpollEvent
	return wrapSyscall("epoll_ctl", unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, &ev))
}

func (p *poller) ctl(op, fd int, tag uint32, ev eventFlags) error {
	e := unix.EpollEvent{Events: uint32(ev), Fd: int32(fd), Pad: int32(tag)}
	return wrapSyscall("epoll_ctl", unix.EpollCtl(p.epfd, op, fd, &e))
}

// wait waits up to msec milliseconds (-1: forever, 0: not at all) for
// events and returns how many event can report. woken says wake was called
// since the previous wait; the wake-up itself is not counted in n. EINTR
// is reported as zero events rather than retried, because the caller
// recomputes its timeout on every call anyway.
//
// A zero timeout is issued with unix.RawSyscall6, which skips the Go
// runtime's entersyscall/exitsyscall bookkeeping: the call cannot block,
// so there is no thread to hand the P over from. A blocking wait must use
// the ordinary Syscall path, or the runtime would believe the thread is
// running Go code for as long as it sleeps in the kernel; waitHeld is
// the exception, for a wait bounded to holdWait.
// BenchmarkPollerWaitZero compares the two; the raw call saves little,
// and on a loaded machine the difference is lost in the noise
// (docs/perf/README.md has the figures). It is worth having because it
// costs nothing, and the loop polls only after busy rounds (Loop.wait).
func (p *poller) wait(msec int) (n int, woken bool, err error) {
	return p.waitHow(msec, msec == 0)
}

// waitHeld is wait without the runtime's system call bookkeeping even for
// a timeout, which must be short: the runtime takes the goroutine for one
// running Go code until the call returns, so sysmon cannot retake its P
// (see holdWait).
func (p *poller) waitHeld(msec int) (n int, woken bool, err error) {
	return p.waitHow(msec, true)
}

// waitHow is wait and waitHeld: raw says whether epoll_wait goes through
// RawSyscall6.
func (p *poller) waitHow(msec int, raw bool) (n int, woken bool, err error) {
	p.resize()
	n, errno := p.epollWait(msec, raw)
	if errno != 0 {
		p.used = 0
		if errno == unix.EINTR {
			return 0, false, nil
		}
		return 0, false, wrapSyscall("epoll_wait", errno)
	}
	n, woken = p.harvest(n)
	return n, woken, nil
}

// harvest takes the wake-up out of the n events a wait returned, draining
// the eventfd if it is among them, and returns the others' count.
func (p *poller) harvest(n int) (int, bool) {
	woken := false
	for i := 0; i < n; i++ {
		if int(p.events[i].Fd) != p.wakefd {
			continue
		}
		woken = true
		p.drainWake()
		n--
		p.events[i] = p.events[n]
		break
	}
	p.used = n + btoi(woken)
	return n, woken
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// epollWait calls epoll_pwait with a NULL signal mask, which is
// epoll_wait on every architecture (arm64 and riscv64 lack the older
// call), through RawSyscall6 if raw.
func (p *poller) epollWait(msec int, raw bool) (int, unix.Errno) {
	ptr := unsafe.Pointer(unsafe.SliceData(p.events))
	var r uintptr
	var errno unix.Errno
	if raw {
		r, _, errno = unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.epfd), uintptr(ptr), uintptr(len(p.events)), uintptr(msec), 0, 0)
	} else {
		r, _, errno = unix.Syscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.epfd), uintptr(ptr), uintptr(len(p.events)), uintptr(msec), 0, 0)
	}
	if errno != 0 {
		return 0, errno
	}
	return int(r), 0
}

// resize grows or shrinks the event list as the last wait's use of it
// calls for (see initEvents). It runs at the start of the next wait: the
// caller reads the events of the last one from the list until then.
func (p *poller) resize() {
	l := len(p.events)
	switch {
	case p.used == l && l < maxEvents:
		p.events = make([]unix.EpollEvent, 2*l)
		p.sparse = 0
	case p.used < l/4 && l > minEvents:
		if p.sparse++; p.sparse >= shrinkAfter {
			p.events = make([]unix.EpollEvent, l/2)
			p.sparse = 0
		}
	default:
		p.sparse = 0
	}
}

// event returns the i-th event of the last wait, 0 <= i < n.
func (p *poller) event(i int) event {
	e := &p.events[i]
	return event{fd: int(e.Fd), tag: uint32(e.Pad), flags: eventFlags(e.Events)}
}

// drainWake resets the eventfd counter and re-arms wake. Clearing
// wakePending after the read means a wake racing with it either sees the
// flag still set, in which case its work is picked up by the caller that
// is about to run the queued work, or sees it clear and writes again.
func (p *poller) drainWake() {
	// A failed read can only be EAGAIN (a spurious report); either way
	// the counter is zero afterwards.
	_, _ = readFD(p.wakefd, p.wakeBuf[:])
	p.wakePending.Store(false)
}

// wake makes the current or next wait return with woken set. It may be
// called from any goroutine; calls between two waits cost one eventfd
// write.
func (p *poller) wake() error {
	if !p.wakePending.CompareAndSwap(false, true) {
		return nil
	}
	_, err := unix.Write(p.wakefd, p.one[:])
	// EAGAIN means the counter is about to overflow, so the eventfd is
	// readable already: the wake-up is pending either way.
	if err != nil && err != unix.EAGAIN {
		p.wakePending.Store(false)
		return wrapSyscall("write", err)
	}
	return nil
}

// close releases the epoll instance and the eventfd. The owner must make
// sure no wake is running or will run: Loop calls wake only under the
// inbox lock it closes first.
func (p *poller) close() error {
	var err, yerr error
	if p.file != nil {
		// The runtime's poller must forget the descriptor before its
		// number is reused, so it is closed through the file.
		err = p.file.Close()
	} else {
		err = closeFD(p.epfd)
	}
	if p.yieldFile != nil {
		yerr = p.yieldFile.Close()
	}
	return errors.Join(err, closeFD(p.wakefd), yerr)
}

// wrapSyscall is os.NewSyscallError: nil stays nil.
func wrapSyscall(name string, err error) error {
	return os.NewSyscallError(name, err)
}
