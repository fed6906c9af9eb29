//go:build linux

package relay

import (
	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/sysfd"
)

// The data path's system calls, made with RawSyscall like netpoll's own
// (netpoll/syscall_linux.go says why): every descriptor is non-blocking,
// and the pipe ends are used with SPLICE_F_NONBLOCK, so no call blocks.
// EINTR is retried by sysfd.RetryRaw.

// recvFD reads from a socket into b.
func recvFD(fd int, b []byte) (int, error) { return sysfd.Recv(fd, b) }

// sendFD writes b to a socket with MSG_NOSIGNAL, so a reset peer gives
// EPIPE and no SIGPIPE (send(2)).
func sendFD(fd int, b []byte) (int, error) { return sysfd.Send(fd, b) }

// spliceFlags: SPLICE_F_MOVE is a hint the kernel ignores today but costs
// nothing; SPLICE_F_NONBLOCK keeps the pipe side from blocking, the
// socket side being O_NONBLOCK already (splice(2)).
const spliceFlags = unix.SPLICE_F_MOVE | unix.SPLICE_F_NONBLOCK

// spliceFD moves up to n bytes from in to out, one of which is a pipe.
//
// splice into a socket has no MSG_NOSIGNAL: a write to a reset peer
// raises SIGPIPE as well as returning EPIPE. The Go runtime ignores
// SIGPIPE for descriptors other than 1 and 2 when the program has not
// asked for it with signal.Notify (os/signal, "SIGPIPE"), so the call
// just fails with EPIPE.
func spliceFD(in, out, n int) (int, error) {
	return sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall6(unix.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n), spliceFlags)
		return r, e
	})
}
