//go:build unix

package std

import (
	"syscall"

	"github.com/rawnet/rawnet/internal/sysfd"
)

// readFD is read(2) on a non-blocking socket, retried on EINTR: a signal
// may interrupt the call before any byte moved (signal(7)).
func readFD(fd uintptr, p []byte) (n int, err error) {
	err = sysfd.Retry(func() error {
		n, err = syscall.Read(int(fd), p)
		return err
	})
	return n, err
}

// writeFD is write(2) on a non-blocking socket, retried on EINTR. A write
// to a connection the peer reset fails with EPIPE and raises SIGPIPE,
// which the Go runtime ignores for descriptors other than 1 and 2
// (os/signal, "SIGPIPE"), as package net relies on too.
func writeFD(fd uintptr, p []byte) (n int, err error) {
	err = sysfd.Retry(func() error {
		n, err = syscall.Write(int(fd), p)
		return err
	})
	return n, err
}
