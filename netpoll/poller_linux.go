//go:build linux

package netpoll

import (
	"errors"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Events is a set of epoll readiness flags.
type Events uint32

// Readiness flags, as epoll_ctl(2) names them.
const (
	// EventRead is EPOLLIN: data, a FIN or a pending connection to read.
	EventRead Events = unix.EPOLLIN
	// EventWrite is EPOLLOUT: room in the socket's send buffer.
	EventWrite Events = unix.EPOLLOUT
	// EventReadHup is EPOLLRDHUP: the peer shut down its writing half.
	EventReadHup Events = unix.EPOLLRDHUP
	// EventHup is EPOLLHUP: both halves are shut down; always reported.
	EventHup Events = unix.EPOLLHUP
	// EventErr is EPOLLERR: the socket has a pending error; always
	// reported.
	EventErr Events = unix.EPOLLERR
)

// Event list sizes: Wait starts with initEvents slots, doubles the list
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

// Event is one readiness report from Poller.Wait.
type Event struct {
	// FD is the descriptor that is ready.
	FD int
	// Tag is the value given to Add or Mod for FD, such as a generation
	// counter that tells a report for a closed descriptor from one for a
	// new descriptor that reused its number.
	Tag uint32
	// Flags says what FD is ready for.
	Flags Events
}

// Poller is one epoll instance plus an eventfd that lets other goroutines
// wake it. It is level-triggered: a descriptor that stays readable is
// reported by every Wait until it is drained, so a loop may stop reading a
// connection at any point (a read budget, backpressure) and be told again
// on the next Wait. Edge-triggered mode (EPOLLET) would report a
// descriptor only when it becomes ready, saving the kernel a re-check of
// the ready list, but then every reader must drain to EAGAIN (or remember
// to come back by itself) or it is never told again (epoll(7), "Level
// triggered and edge-triggered"): a read budget would need a re-queue list
// of its own, and a missed drain is a hung connection. Level-triggered is
// the simpler contract; the cost is one extra epoll_ctl to drop EPOLLOUT
// once output has drained.
//
// Add, Mod, Del and Wait must be called from one goroutine, the owner;
// Wake may be called from any goroutine.
type Poller struct {
	epfd   int
	wakefd int
	// wakePending is set by the Wake that writes the eventfd and cleared
	// by the Wait that reads it, so that many Wakes between two Waits cost
	// one write.
	wakePending atomic.Bool
	events      []unix.EpollEvent
	used        int // events the last Wait returned, wake-up included
	sparse      int // consecutive Waits that used under a quarter of the list
	wakeBuf     [8]byte
}

// NewPoller creates an epoll instance and its wake-up eventfd, both
// close-on-exec.
func NewPoller() (p *Poller, err error) {
	p = &Poller{epfd: -1, wakefd: -1, events: make([]unix.EpollEvent, initEvents)}
	defer func() {
		if err != nil {
			_ = p.Close()
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

// Add registers fd for the events in ev, tagged with tag.
func (p *Poller) Add(fd int, tag uint32, ev Events) error {
	return p.ctl(unix.EPOLL_CTL_ADD, fd, tag, ev)
}

// Mod replaces the events and tag registered for fd.
func (p *Poller) Mod(fd int, tag uint32, ev Events) error {
	return p.ctl(unix.EPOLL_CTL_MOD, fd, tag, ev)
}

// Del removes fd. Closing a descriptor removes it from epoll only once
// every descriptor referring to the same open file is closed (epoll(7),
// Q6), so a descriptor that may have been duplicated must be deleted
// before it is closed, or events for the closed number keep coming.
func (p *Poller) Del(fd int) error {
	// A non-nil event pointer keeps kernels before 2.6.9 happy
	// (epoll_ctl(2), BUGS); it costs nothing.
	var ev unix.EpollEvent
	return wrapSyscall("epoll_ctl", unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, &ev))
}

func (p *Poller) ctl(op, fd int, tag uint32, ev Events) error {
	e := unix.EpollEvent{Events: uint32(ev), Fd: int32(fd), Pad: int32(tag)}
	return wrapSyscall("epoll_ctl", unix.EpollCtl(p.epfd, op, fd, &e))
}

// Wait waits up to msec milliseconds (-1: forever, 0: not at all) for
// events and returns how many Event can report. woken says Wake was called
// since the previous Wait; the wake-up itself is not counted in n. EINTR
// is reported as zero events rather than retried, because the caller
// recomputes its timeout on every call anyway.
//
// A zero timeout is issued with unix.RawSyscall6, which skips the Go
// runtime's entersyscall/exitsyscall bookkeeping: the call cannot block,
// so there is no thread to hand the P over from. A blocking wait must use
// the ordinary Syscall path, or the runtime would believe the thread is
// running Go code for as long as it sleeps in the kernel.
// BenchmarkPollerWaitZero measures the difference: on a 2-core AMD EPYC
// VM three quiet runs gave 232-238 ns for the raw call against 247-260 ns
// through Syscall6, about 20 ns saved per poll; on the same machine under
// load from other processes the two swapped places run to run. The saving
// is small either way; the loop polls only after busy rounds (Loop.wait).
func (p *Poller) Wait(msec int) (n int, woken bool, err error) {
	p.resize()
	n, err = p.epollWait(msec)
	if err != nil {
		if err == unix.EINTR {
			return 0, false, nil
		}
		return 0, false, wrapSyscall("epoll_wait", err)
	}
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
	return n, woken, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// epollWait calls epoll_pwait with a NULL signal mask, which is
// epoll_wait on every architecture (arm64 and riscv64 lack the older
// call).
func (p *Poller) epollWait(msec int) (int, error) {
	ptr := unsafe.Pointer(unsafe.SliceData(p.events))
	var r uintptr
	var errno unix.Errno
	if msec == 0 {
		r, _, errno = unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.epfd), uintptr(ptr), uintptr(len(p.events)), 0, 0, 0)
	} else {
		r, _, errno = unix.Syscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.epfd), uintptr(ptr), uintptr(len(p.events)), uintptr(msec), 0, 0)
	}
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// resize grows or shrinks the event list as the last Wait's use of it
// calls for (see initEvents). It runs at the start of the next Wait: the
// caller reads the events of the last one from the list until then.
func (p *Poller) resize() {
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

// Event returns the i-th event of the last Wait, 0 <= i < n.
func (p *Poller) Event(i int) Event {
	e := &p.events[i]
	return Event{FD: int(e.Fd), Tag: uint32(e.Pad), Flags: Events(e.Events)}
}

// drainWake resets the eventfd counter and re-arms Wake. Clearing
// wakePending after the read means a Wake racing with it either sees the
// flag still set, in which case its work is picked up by the caller that
// is about to run the queued work, or sees it clear and writes again.
func (p *Poller) drainWake() {
	// A failed read can only be EAGAIN (a spurious report); either way
	// the counter is zero afterwards.
	_, _ = readFD(p.wakefd, p.wakeBuf[:])
	p.wakePending.Store(false)
}

// Wake makes the current or next Wait return with woken set. It may be
// called from any goroutine; calls between two Waits cost one eventfd
// write.
func (p *Poller) Wake() error {
	if !p.wakePending.CompareAndSwap(false, true) {
		return nil
	}
	one := [8]byte{1}
	if isBigEndian {
		one = [8]byte{7: 1}
	}
	_, err := unix.Write(p.wakefd, one[:])
	// EAGAIN means the counter is about to overflow, so the eventfd is
	// readable already: the wake-up is pending either way.
	if err != nil && err != unix.EAGAIN {
		p.wakePending.Store(false)
		return wrapSyscall("write", err)
	}
	return nil
}

// Close releases the epoll instance and the eventfd. The owner must make
// sure no Wake is running or will run: Loop calls Wake only under the
// inbox lock it closes first.
func (p *Poller) Close() error {
	return errors.Join(closeFD(p.epfd), closeFD(p.wakefd))
}

// isBigEndian says how to spell the eventfd's 8-byte counter (eventfd(2):
// "an 8-byte integer", host byte order).
var isBigEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 0
}()

// wrapSyscall is os.NewSyscallError: nil stays nil.
func wrapSyscall(name string, err error) error {
	return os.NewSyscallError(name, err)
}
