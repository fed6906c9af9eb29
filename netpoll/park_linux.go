//go:build linux

package netpoll

import (
	"errors"
	"math"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// This file lets an idle loop wait the way a goroutine on Go's net package
// does: parked by the runtime's own poller, holding no P. An epoll
// instance is itself a pollable descriptor, readable while its ready list
// is not empty (epoll(7), Q3), so the poller's epoll descriptor is handed
// to the runtime as an *os.File and waited on through its
// syscall.RawConn.
//
// The runtime registers every descriptor it polls edge-triggered
// (runtime/netpoll_epoll.go, netpollopen): it is told when the instance
// becomes readable, not that it still is. So a park never begins with
// events left behind: RawConn.Read first clears any readiness the runtime
// recorded earlier (internal/poll.FD.RawRead, which calls
// runtime_pollReset), then calls the check, a zero-timeout epoll_wait on
// the instance, and parks only when that comes back empty. Anything that
// becomes ready after the check runs the instance's wake-up callback,
// which is the edge the runtime waits for (its readiness is recorded even
// when it arrives before the goroutine has parked: runtime/netpoll.go,
// netpollblock). The check is also what collects the events: when it
// finds some, the loop goes on without parking. The wake-up eventfd is in
// the instance's set, so Loop.Submit and connections handed over by the
// accepting loop end a park like any socket event; timers end it through
// a read deadline on the file.

// parkNoDeadline and parkExpired are poller.until values besides a
// deadline: none is set on the file, or the one set has passed.
const (
	parkNoDeadline = -1
	parkExpired    = math.MinInt64
)

// openPark hands the epoll descriptor to the Go runtime's poller so that
// park can wait on it. From then on the *os.File owns the descriptor and
// closes it.
func (p *poller) openPark() error {
	// os.NewFile registers a descriptor with the runtime's poller only if
	// it is non-blocking (os/file_unix.go, newFile). epoll_create1 takes no
	// O_NONBLOCK, and the flag changes nothing for an epoll descriptor but
	// that, since it is never read.
	if err := unix.SetNonblock(p.epfd, true); err != nil {
		return wrapSyscall("fcntl", err)
	}
	f := os.NewFile(uintptr(p.epfd), "epoll")
	rc, err := f.SyscallConn()
	if err == nil {
		// A descriptor the runtime could not register has no deadlines:
		// this is how its refusal shows.
		err = f.SetReadDeadline(time.Time{})
	}
	if err != nil {
		_ = f.Close()
		p.epfd = -1
		return err
	}
	p.file, p.rc = f, rc
	p.until = parkNoDeadline
	p.check = p.poll
	return nil
}

// park waits for events like wait(-1), or until the loop time at
// (nanoseconds since epoch; parkNoDeadline for none), but parked on the Go
// runtime's poller, so the goroutine holds no P while it waits. It
// returns at once if events are ready, unless yield: then it parks
// anyway, having made the instance readable with its own wake-up, so that
// the scheduler runs whatever else is runnable, polls the network and
// finds this goroutine ready with the rest. Writing the eventfd from the
// check, after RawConn.Read has cleared the recorded readiness, is what
// guarantees the edge that ends the park. Reaching the deadline returns
// zero events. slept says the goroutine went through the scheduler, or
// may have.
func (p *poller) park(at int64, epoch time.Time, yield bool) (n int, woken, slept bool, err error) {
	if at != p.until {
		var t time.Time
		if at != parkNoDeadline {
			t = epoch.Add(time.Duration(at))
		}
		if err := p.file.SetReadDeadline(t); err != nil {
			return 0, false, false, err
		}
		p.until = at
	}
	p.resize()
	p.ready, p.errno, p.checks, p.selfWake = 0, 0, 0, yield
	err = p.rc.Read(p.check)
	// A check that returned false was followed by a park, which ended
	// in another check or in an error such as the deadline.
	slept = p.checks > 1 || p.checks == 1 && err != nil
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The runtime keeps the deadline expired until it is set
			// again.
			p.until = parkExpired
			p.used = 0
			return 0, false, slept, nil
		}
		return 0, false, slept, err
	}
	switch p.errno {
	case 0:
	case unix.EINTR:
		p.used = 0
		return 0, false, slept, nil
	default:
		return 0, false, slept, wrapSyscall("epoll_wait", p.errno)
	}
	n, woken = p.harvest(p.ready)
	return n, woken, slept, nil
}

// poll is park's check, bound to p.check once so that a park allocates
// nothing: a zero-timeout epoll_wait whose result park reads back. It
// returns true, ending the park, on events or an error. On a yield its
// first call writes the eventfd instead and returns false.
func (p *poller) poll(uintptr) bool {
	p.checks++
	if p.selfWake {
		p.selfWake = false
		p.wakePending.Store(true)
		// A failed write can only be EAGAIN, an eventfd readable already.
		_, _ = writeFD(p.wakefd, p.one[:])
		return false
	}
	p.ready, p.errno = p.epollWait(0, true)
	return p.ready > 0 || p.errno != 0
}
