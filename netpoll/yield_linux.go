//go:build linux

package netpoll

import (
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// yieldEvery is how long a loop may go without passing through the Go
// scheduler before it yields. A loop that keeps finding events (any loop
// under load, and with WaitSyscall a loop whose sleeps are short) would
// otherwise stay on its P, moving only between Go code and system calls,
// and two things would go wrong.
//
// First, the rest of the program would wait for sysmon. While every P
// runs a loop, a goroutine waiting for the network (a metrics endpoint's
// connection, a client in the same process) is found ready only when the
// network is polled, and the scheduler polls it only once both run
// queues are empty (runtime/proc.go, findRunnable); sysmon polls it every
// 10 ms. runtime.Gosched does not help: it puts the loop on the global
// run queue, where the scheduler finds it before it ever polls. So a
// yield parks the loop on the runtime's poller, with a descriptor it has
// just made readable itself: the scheduler runs what is runnable, polls
// the network, finds the loop ready together with every other goroutine
// the network woke, and then Gosched lets those run first (afterYield).
// With WaitPark the descriptor is the epoll instance and the wake-up
// eventfd in it (poller.park); with WaitSyscall, whose epoll instance is
// not known to the runtime, it is an eventfd of its own (poller.yield).
//
// Second, with WaitSyscall, sysmon would retake the loop's P. It takes a
// goroutine whose scheduling tick has not moved for forcePreemptNS
// (10 ms) for one that hogs its P, preempts it and, the loop being in
// epoll_wait, retakes the P and hands it to another thread; each retake
// resets sysmon to polling every 20 µs, at which pace it catches the loop
// in ordinary sub-millisecond waits too and retakes the P again and
// again, a futex wake-up of another thread and a context switch per wait
// (runtime/proc.go, sysmon and retake; golang.org/issue/29734). Any pass
// through the scheduler moves the tick, so sysmon backs off to its
// longest naps.
//
// A loop that parks to wait has passed through the scheduler and needs
// no yield. A yield costs a few system calls; one a millisecond keeps a
// busy loop's neighbours within a few milliseconds of the network, and
// its cost did not show in the server's CPU per message, busy or
// ping-ponging; yielding more often shortened the neighbours' median wait
// but not their tail (docs/perf/README.md, "Loops that share the
// process", has the figures). On a locked thread (Config.LockThreads)
// each yield also hands the thread off and back (stoplockedm,
// startlockedm).
const yieldEvery = time.Millisecond

// yield is the WaitSyscall loop's pass through the scheduler (see
// yieldEvery).
func (l *Loop) yield() error {
	if err := l.poller.yield(); err != nil {
		return err
	}
	l.yields++
	afterYield()
	return nil
}

// afterYield follows a yield through the runtime's poller. The poll that
// ended the yield may have found the loop first and run it at once,
// leaving the goroutines it found with it in the local run queue;
// Gosched moves the loop to the global queue, which the scheduler serves
// after the local one.
func afterYield() { runtime.Gosched() }

// openYield creates the eventfd a WaitSyscall loop yields on and hands it
// to the runtime's poller; the *os.File owns it from then on.
func (p *poller) openYield() error {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return wrapSyscall("eventfd", err)
	}
	f := os.NewFile(uintptr(fd), "eventfd")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return err
	}
	p.yieldFile, p.yieldRC = f, rc
	p.yieldCheck = p.yieldPoll
	return nil
}

// yield parks the calling goroutine on the yield eventfd, made readable
// from the check that RawConn.Read calls after clearing the readiness the
// runtime recorded, so the edge that ends the park cannot be lost (see
// park_linux.go). It returns once the runtime has polled the network.
func (p *poller) yield() error {
	p.checks = 0
	return p.yieldRC.Read(p.yieldCheck)
}

// yieldPoll is yield's check, bound to p.yieldCheck once so that a yield
// allocates nothing: its first call makes the eventfd readable and
// returns false, to park; the next, once the runtime has seen it
// readable, resets it and returns true.
func (p *poller) yieldPoll(fd uintptr) bool {
	p.checks++
	if p.checks == 1 {
		// A failed write can only be EAGAIN, an eventfd readable already.
		_, _ = writeFD(int(fd), p.one[:])
		return false
	}
	_, _ = readFD(int(fd), p.wakeBuf[:])
	return true
}
