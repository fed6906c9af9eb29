//go:build linux

package sysfd

import (
	"os"

	"golang.org/x/sys/unix"
)

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
