//go:build linux

package sysfd

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Recv reads from the non-blocking socket fd into b with recvfrom(2),
// retrying EINTR. It uses RawSyscall, which skips the runtime's
// entersyscall and exitsyscall: a call on a non-blocking socket cannot
// block, so there is no thread to hand the P to meanwhile. recvfrom rather
// than read skips the VFS layer (rw_verify_area, fsnotify) on the way to
// the same socket code.
func Recv(fd int, b []byte) (int, error) {
	// The pointer is converted to uintptr inside the call expression, the
	// one form unsafe.Pointer rule 4 guarantees keeps b alive and in
	// place for the duration of the call.
	p := unsafe.Pointer(unsafe.SliceData(b))
	return RetryRaw(func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(p), uintptr(len(b)), 0, 0, 0)
		return r, e
	})
}

// Send writes b to the non-blocking socket fd with sendto(2) and
// MSG_NOSIGNAL, so that a write to a connection the peer has reset fails
// with EPIPE instead of raising SIGPIPE, retrying EINTR; as Recv, without
// the runtime's system call bookkeeping.
func Send(fd int, b []byte) (int, error) {
	p := unsafe.Pointer(unsafe.SliceData(b))
	return RetryRaw(func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(p), uintptr(len(b)), unix.MSG_NOSIGNAL, 0, 0)
		return r, e
	})
}
