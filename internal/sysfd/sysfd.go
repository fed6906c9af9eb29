//go:build unix

// Package sysfd holds the two system-call helpers that every layer of rawnet
// shares: retrying a call that a signal interrupted (on every Unix), and
// opening a socket that is closed again on any error that follows (on
// Linux, whose socket(2) takes SOCK_CLOEXEC). The reactor, the socket
// options, the threads engine and the load generator all use it, so the
// rules live in one place.
package sysfd

import (
	"errors"

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

// RetryErrno is Retry for a call made through unix.RawSyscall that keeps
// its raw result: it returns the call's result and errno once errno is
// anything but EINTR. Hot paths that switch on the errno (EAGAIN is control
// flow, not an error) use it to avoid an error interface altogether.
func RetryErrno(call func() (uintptr, unix.Errno)) (uintptr, unix.Errno) {
	for {
		r, errno := call()
		if errno != unix.EINTR {
			return r, errno
		}
	}
}

// RetryRaw is RetryErrno for callers that want Go's error convention: it
// returns the call's result as (n, nil), or (-1, errno) for any errno other
// than EINTR. Converting an Errno to an error allocates nothing (errno
// values are small integers, which the runtime boxes without allocating).
func RetryRaw(call func() (uintptr, unix.Errno)) (int, error) {
	r, errno := RetryErrno(call)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}
