//go:build linux

// Package sysfd holds the two system-call helpers that every layer of rawnet
// shares: retrying a call that a signal interrupted, and opening a socket
// that is closed again on any error that follows. The reactor, the socket
// options, the threads engine and the load generator all use it, so the
// rules live in one place.
package sysfd

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Retry calls call until it returns something other than EINTR and returns
// that. A signal handler that runs while a thread is in a system call makes
// the call fail with EINTR unless the handler was installed with
// SA_RESTART, and even then socket calls with SO_RCVTIMEO or SO_SNDTIMEO set
// are never restarted (signal(7), "Interruption of system calls"). The Go
// runtime signals its own threads (SIGURG for preemption,
// golang.org/issue/24543), so any call may see it. close(2) must not go
// through Retry: Linux releases the descriptor even when close fails with
// EINTR, and a retry could close a descriptor another goroutine just got.
func Retry(call func() error) error {
	for {
		err := call()
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// RetryRaw is Retry for a call made through unix.RawSyscall: it returns the
// call's result as (n, nil), or (-1, errno) for any errno other than EINTR.
// It exists beside Retry so that hot paths pass an Errno, not an error
// interface, and allocate nothing.
func RetryRaw(call func() (uintptr, unix.Errno)) (int, error) {
	for {
		r, errno := call()
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(r), nil
	}
}

// Socket opens a socket of family and typ (which may carry SOCK_NONBLOCK;
// SOCK_CLOEXEC is always added, so no descriptor leaks into a child
// process), then calls setup on it. If setup fails, the socket is closed and
// setup's error returned: the caller never holds a half-configured
// descriptor. A failing socket(2) is returned as an *os.SyscallError.
func Socket(family, typ int, setup func(fd int) error) (int, error) {
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if setup != nil {
		if err := setup(fd); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}
