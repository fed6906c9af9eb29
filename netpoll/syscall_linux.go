//go:build linux

package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/sysfd"
)

// This file holds the raw system calls of the hot path. They bypass the
// x/sys wrappers for three reasons: unix.Write cannot pass MSG_NOSIGNAL,
// unix.Accept4 allocates a Sockaddr per call, and x/sys has no recvmmsg or
// sendmmsg at all (see udp_linux.go). Each wrapper takes its buffer as an
// unsafe.Pointer and converts it to uintptr inside the call expression,
// the one form unsafe.Pointer rule 4 guarantees keeps the memory alive and
// in place for the duration of the call.
//
// Calls on the loop's sockets, which are all non-blocking, go through
// RawSyscall: they cannot block, so the runtime's entersyscall and
// exitsyscall bookkeeping, which lets another thread run the P while a
// call blocks, buys nothing. Only epoll_wait with a timeout blocks (see
// poller.wait). Sockets are read with recvfrom and written with sendto
// rather than read and write, which pass through the VFS layer first
// (rw_verify_area, fsnotify) before reaching the same socket code.
// BenchmarkSocketCalls measures both choices, and BenchmarkSendRecvFD the
// wrappers below; docs/perf/README.md has the figures.
//
// Every wrapper retries EINTR through sysfd.RetryRaw, the one EINTR
// helper rawnet has: a signal handler running while the thread is in a
// system call makes the call fail with EINTR (signal(7)), and the Go
// runtime sends signals to its threads (SIGURG for preemption, see
// golang.org/issue/24543). RetryRaw takes the raw Errno, not an error, so
// the retry allocates nothing, and the closures, which do not escape,
// live on the stack. close(2) is deliberately not retried: Linux releases
// the descriptor even when close fails with EINTR.

// readFD reads into b; it is for descriptors that are not sockets, such
// as the eventfd.
func readFD(fd int, b []byte) (int, error) {
	p := unsafe.Pointer(unsafe.SliceData(b))
	return sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(p), uintptr(len(b)))
		return r, e
	})
}

// writeFD writes b; it is for descriptors that are not sockets, such as
// the eventfd.
func writeFD(fd int, b []byte) (int, error) {
	p := unsafe.Pointer(unsafe.SliceData(b))
	return sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(p), uintptr(len(b)))
		return r, e
	})
}

// recvFD reads from a non-blocking socket into b: recvfrom with no flags
// and no address, which is read(2) without the VFS layer.
func recvFD(fd int, b []byte) (int, error) { return sysfd.Recv(fd, b) }

// sendFD writes b with MSG_NOSIGNAL, so that a write to a connection the
// peer reset fails with EPIPE instead of raising SIGPIPE (send(2)). A Go
// program would survive the signal anyway, because the runtime turns
// SIGPIPE on descriptors other than 1 and 2 into a plain EPIPE (os/signal,
// "SIGPIPE"), but not when built as a c-archive or c-shared library, and
// the flag also spares the kernel the signal delivery.
func sendFD(fd int, b []byte) (int, error) { return sysfd.Send(fd, b) }

// sendmsgFD sends the iovecs msg points to with MSG_NOSIGNAL: writev(2)
// with the flag send(2) has and writev lacks.
func sendmsgFD(fd int, msg *unix.Msghdr) (int, error) {
	p := unsafe.Pointer(msg)
	return sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(p), unix.MSG_NOSIGNAL)
		return r, e
	})
}

// sendtoFD sends the n bytes at p as one datagram to the address at to,
// tolen bytes long.
func sendtoFD(fd int, p *byte, n int, to *byte, tolen uint32) (int, error) {
	b, a := unsafe.Pointer(p), unsafe.Pointer(to)
	return sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(b), uintptr(n), 0, uintptr(a), uintptr(tolen))
		return r, e
	})
}

// accept4FD accepts a connection as non-blocking and close-on-exec, and
// stores the peer address in *rsa.
func accept4FD(fd int, rsa *unix.RawSockaddrAny) (int, error) {
	p := unsafe.Pointer(rsa)
	return sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		l := uint32(unix.SizeofSockaddrAny)
		lp := unsafe.Pointer(&l)
		r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(p), uintptr(lp),
			unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		return r, e
	})
}

// mmsgFD runs recvmmsg or sendmmsg (trap) over msgs.
func mmsgFD(trap uintptr, fd int, msgs []unix.Mmsghdr) (int, error) {
	p := unsafe.Pointer(unsafe.SliceData(msgs))
	return sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		// The fifth recvmmsg argument is the timeout: NULL, because its
		// semantics are broken (recvmmsg(2), BUGS) and the socket is
		// non-blocking anyway. sendmmsg ignores it.
		r, _, e := unix.RawSyscall6(trap, uintptr(fd), uintptr(p), uintptr(len(msgs)), 0, 0, 0)
		return r, e
	})
}

// closeFD closes fd without retrying EINTR (see the top of this file).
func closeFD(fd int) error {
	if fd < 0 {
		return nil
	}
	if err := unix.Close(fd); err != nil {
		return wrapSyscall("close", err)
	}
	return nil
}
