package bench

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/sysfd"
)

// The hot path calls read and write through RawSyscall, which skips the
// runtime's entersyscall/exitsyscall bookkeeping: on these non-blocking fds
// they never block. Waiting for events is the one call that blocks, and how
// it blocks matters on a machine where a syscall costs about a microsecond:
//
//   - Through Syscall6 (the default), the worker's P is in a syscall while
//     it sleeps; when every P is busy, sysmon retakes it and hands it off,
//     waking a spinning thread, and the worker must win a P back when it
//     wakes. Per ping-pong message that costs a Go client about as much CPU
//     as the echo itself. A zero-timeout poll through RawSyscall first
//     avoids it whenever events are already waiting, as under load.
//   - Through RawSyscall (Config.HoldCPU), the worker keeps its P while it
//     sleeps: no hand-off, no spinning thread. Other goroutines of the
//     process then run only when sysmon preempts a worker (after 10ms; the
//     preemption signal ends the wait with EINTR), which is harmless for a
//     load generator whose server is another process and fatal for a
//     server running in the same process.

// rawRead is read(2) on a non-blocking fd, retried on EINTR.
func rawRead(fd int, p []byte) (int, syscall.Errno) {
	ptr := unsafe.Pointer(unsafe.SliceData(p))
	n, e := sysfd.RetryErrno(func() (uintptr, unix.Errno) {
		n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
		return n, e
	})
	return int(n), e
}

// rawWrite is write(2) on a non-blocking fd, retried on EINTR.
func rawWrite(fd int, p []byte) (int, syscall.Errno) {
	ptr := unsafe.Pointer(unsafe.SliceData(p))
	n, e := sysfd.RetryErrno(func() (uintptr, unix.Errno) {
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(ptr), uintptr(len(p)))
		return n, e
	})
	return int(n), e
}

// pollNow returns the events already waiting, without blocking.
func pollNow(epfd int, events []unix.EpollEvent) (int, syscall.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	return int(n), e
}

// pollWait waits up to ns nanoseconds for events, through RawSyscall6 when
// raw is set and Syscall6 otherwise. It uses epoll_pwait2, which takes a
// timespec, so an open-loop sender can sleep until its next message is due
// with nanosecond rather than millisecond resolution (epoll_wait(2), Linux
// 5.11); on older kernels, which return ENOSYS, it falls back to epoll_pwait
// with the timeout rounded up to a millisecond.
func pollWait(epfd int, events []unix.EpollEvent, ns int64, raw bool, noPwait2 *bool) (int, syscall.Errno) {
	call := unix.Syscall6
	if raw {
		call = unix.RawSyscall6
	}
	if !*noPwait2 {
		ts := unix.NsecToTimespec(ns)
		n, _, e := call(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
		if e != unix.ENOSYS {
			return int(n), e
		}
		*noPwait2 = true
	}
	ms := (ns + 999_999) / 1_000_000
	n, _, e := call(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(ms), 0, 0)
	return int(n), e
}

// dialSocket opens a non-blocking socket to server, bound to source when
// source is valid, and starts connecting. For TCP the connect usually
// returns EINPROGRESS; the caller waits for EPOLLOUT and reads SO_ERROR.
// On any error the socket is closed again (sysfd.Socket) and fd is -1.
func dialSocket(network string, server netip.AddrPort, source netip.Addr) (int, error) {
	family := unix.AF_INET
	if server.Addr().Is6() {
		family = unix.AF_INET6
	}
	typ := unix.SOCK_STREAM
	if network == "udp" {
		typ = unix.SOCK_DGRAM
	}
	return sysfd.Socket(family, typ|unix.SOCK_NONBLOCK, func(fd int) error {
		if typ == unix.SOCK_STREAM {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
				return os.NewSyscallError("setsockopt TCP_NODELAY", err)
			}
		}
		if source.IsValid() {
			// IP_BIND_ADDRESS_NO_PORT defers the choice of local port to
			// connect, which can then reuse a port already bound to
			// another destination; a bind with port 0 alone would
			// reserve a port for every destination (ip(7)).
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1); err != nil {
				return os.NewSyscallError("setsockopt IP_BIND_ADDRESS_NO_PORT", err)
			}
			if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(source, 0))); err != nil {
				return os.NewSyscallError("bind", err)
			}
		}
		// A non-blocking connect to a TCP server returns EINPROGRESS
		// and completes in the background (connect(2)); a UDP one
		// only sets the peer and returns at once.
		err := sysfd.Retry(func() error { return unix.Connect(fd, sockaddr(server)) })
		if err != nil && err != unix.EINPROGRESS {
			return os.NewSyscallError("connect", err)
		}
		return nil
	})
}

// sockaddr converts an address to the unix form.
func sockaddr(a netip.AddrPort) unix.Sockaddr {
	if a.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

// connectError returns the pending error of a connecting socket, or nil
// once it is connected.
func connectError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt SO_ERROR", err)
	}
	if v != 0 {
		return os.NewSyscallError("connect", syscall.Errno(v))
	}
	return nil
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() (user, sys int64, err error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, os.NewSyscallError("getrusage", err)
	}
	return ru.Utime.Nano(), ru.Stime.Nano(), nil
}

// lowTimerSlack asks the kernel to wake this thread within a microsecond
// of its timeouts instead of the default 50µs slack (prctl(2)
// PR_SET_TIMERSLACK), so open-loop sends leave on time. It is best effort.
func lowTimerSlack() {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1000, 0, 0, 0)
}

// runWait returns how long the threads tids of this process have been
// ready to run but waiting for a CPU, in nanoseconds: the sum of the
// second field of their /proc/self/task/TID/schedstat (run_delay; the
// kernel's Documentation/scheduler/sched-stats.rst). ok is false where the
// kernel keeps no such statistics (CONFIG_SCHED_INFO) or a thread is gone.
func runWait(tids []int) (ns int64, ok bool) {
	for _, tid := range tids {
		b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/schedstat")
		if err != nil {
			return 0, false
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			return 0, false
		}
		d, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, false
		}
		ns += d
	}
	return ns, len(tids) > 0
}
