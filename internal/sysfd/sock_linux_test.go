//go:build linux

package sysfd

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSendRecv checks that Send and Recv move bytes over a socket, that
// Recv on an empty non-blocking socket reports EAGAIN, and that Send to a
// peer that is gone fails with EPIPE rather than raising SIGPIPE.
func TestSendRecv(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	if n, err := Send(fds[0], []byte("ping")); n != 4 || err != nil {
		t.Fatalf("Send = %d, %v; want 4, nil", n, err)
	}
	buf := make([]byte, 16)
	if n, err := Recv(fds[1], buf); n != 4 || err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("Recv = %d %q, %v; want 4 \"ping\", nil", n, buf[:n], err)
	}
	if _, err := Recv(fds[1], buf); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("Recv on an empty socket: %v, want EAGAIN", err)
	}
	unix.Close(fds[1])
	if _, err := Send(fds[0], []byte("gone")); !errors.Is(err, unix.EPIPE) {
		t.Fatalf("Send to a closed peer: %v, want EPIPE", err)
	}
}
