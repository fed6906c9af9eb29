//go:build linux

package sysfd

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRetryRetriesOnlyEINTR(t *testing.T) {
	tests := []struct {
		name  string
		errs  []error
		want  error
		calls int
	}{
		{name: "success at once", errs: []error{nil}, want: nil, calls: 1},
		{name: "EINTR twice then success", errs: []error{unix.EINTR, unix.EINTR, nil}, want: nil, calls: 3},
		{name: "wrapped EINTR is retried", errs: []error{os.NewSyscallError("x", unix.EINTR), nil}, want: nil, calls: 2},
		{name: "EAGAIN returned", errs: []error{unix.EINTR, unix.EAGAIN}, want: unix.EAGAIN, calls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := Retry(func() error {
				err := tt.errs[calls]
				calls++
				return err
			})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Retry = %v, want %v", err, tt.want)
			}
			if calls != tt.calls {
				t.Fatalf("calls = %d, want %d", calls, tt.calls)
			}
		})
	}
}

func TestRetryRaw(t *testing.T) {
	seq := []unix.Errno{unix.EINTR, 0}
	calls := 0
	n, err := RetryRaw(func() (uintptr, unix.Errno) {
		e := seq[calls]
		calls++
		return 7, e
	})
	if n != 7 || err != nil || calls != 2 {
		t.Fatalf("RetryRaw = (%d, %v) after %d calls, want (7, nil) after 2", n, err, calls)
	}
	n, err = RetryRaw(func() (uintptr, unix.Errno) { return ^uintptr(0), unix.EBADF })
	if n != -1 || !errors.Is(err, unix.EBADF) {
		t.Fatalf("RetryRaw = (%d, %v), want (-1, EBADF)", n, err)
	}
}

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
