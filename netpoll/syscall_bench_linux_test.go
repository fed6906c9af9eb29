//go:build linux

package netpoll

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BenchmarkSocketCalls measures the two choices syscall_linux.go makes for
// the hot path: one operation writes 64 bytes into one end of a
// socketpair and reads them from the other, through read/write or through
// recvfrom/sendto (the VFS layer or not), and through Syscall or
// RawSyscall (the runtime's entersyscall/exitsyscall or not). No call
// blocks: the bytes are always there to read.
func BenchmarkSocketCalls(b *testing.B) {
	type call func(trap, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, uintptr, unix.Errno)
	tests := []struct {
		name       string
		call       call
		write, rd  uintptr
		writeFlags uintptr
	}{
		{name: "write-read/Syscall", call: unix.Syscall6, write: unix.SYS_WRITE, rd: unix.SYS_READ},
		{name: "write-read/RawSyscall", call: unix.RawSyscall6, write: unix.SYS_WRITE, rd: unix.SYS_READ},
		{name: "sendto-recvfrom/Syscall", call: unix.Syscall6, write: unix.SYS_SENDTO, rd: unix.SYS_RECVFROM, writeFlags: unix.MSG_NOSIGNAL},
		{name: "sendto-recvfrom/RawSyscall", call: unix.RawSyscall6, write: unix.SYS_SENDTO, rd: unix.SYS_RECVFROM, writeFlags: unix.MSG_NOSIGNAL},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = unix.Close(fds[0]); _ = unix.Close(fds[1]) })
			buf := make([]byte, 64)
			p := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
			b.ReportAllocs()
			for b.Loop() {
				// write and read ignore the fourth argument.
				if n, _, e := tt.call(tt.write, uintptr(fds[0]), p, 64, tt.writeFlags, 0, 0); e != 0 || n != 64 {
					b.Fatalf("write: %d, %v", n, e)
				}
				if n, _, e := tt.call(tt.rd, uintptr(fds[1]), p, 64, 0, 0, 0); e != 0 || n != 64 {
					b.Fatalf("read: %d, %v", n, e)
				}
			}
		})
	}
}

// BenchmarkSendRecvFD runs the hot path's own wrappers, sendFD and recvFD,
// over a socketpair: the sendto-recvfrom/RawSyscall case of
// BenchmarkSocketCalls plus the EINTR retry around each call, which must
// not allocate.
func BenchmarkSendRecvFD(b *testing.B) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = unix.Close(fds[0]); _ = unix.Close(fds[1]) })
	buf := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if n, err := sendFD(fds[0], buf); err != nil || n != len(buf) {
			b.Fatalf("sendFD: %d, %v", n, err)
		}
		if n, err := recvFD(fds[1], buf); err != nil || n != len(buf) {
			b.Fatalf("recvFD: %d, %v", n, err)
		}
	}
}
