//go:build linux

package sysfd

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSocketClosesOnSetupError(t *testing.T) {
	var seen int
	boom := errors.New("setup failed")
	fd, err := Socket(unix.AF_INET, unix.SOCK_STREAM, func(fd int) error {
		seen = fd
		return boom
	})
	if fd != -1 || !errors.Is(err, boom) {
		t.Fatalf("Socket = (%d, %v), want (-1, %v)", fd, err, boom)
	}
	if _, err := unix.FcntlInt(uintptr(seen), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("descriptor %d still open after a failed setup (fcntl: %v)", seen, err)
	}
}

func TestSocketIsCloseOnExec(t *testing.T) {
	fd, err := Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.FD_CLOEXEC == 0 {
		t.Fatal("socket is not close-on-exec")
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fl&unix.O_NONBLOCK == 0 {
		t.Fatal("SOCK_NONBLOCK was not applied")
	}
}

func TestSocketReportsSocketError(t *testing.T) {
	_, err := Socket(-1, unix.SOCK_STREAM, nil)
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "socket" {
		t.Fatalf("Socket(-1) error = %v, want an *os.SyscallError for socket", err)
	}
}
