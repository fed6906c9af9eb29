//go:build unix

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
