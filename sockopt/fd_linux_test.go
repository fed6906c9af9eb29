package sockopt

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// tcpSocket returns a fresh, unbound IPv4 TCP socket closed at cleanup.
func tcpSocket(t *testing.T) int {
	t.Helper()
	return newSocket(t, unix.AF_INET, unix.SOCK_STREAM, 0)
}

// udpSocket returns a fresh, unbound IPv4 UDP socket closed at cleanup.
func udpSocket(t *testing.T) int {
	t.Helper()
	return newSocket(t, unix.AF_INET, unix.SOCK_DGRAM, 0)
}

func newSocket(t *testing.T, domain, typ, proto int) int {
	t.Helper()
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// closedFD returns a descriptor number that was a socket and is now closed.
func closedFD(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	if err := unix.Close(fd); err != nil {
		t.Fatalf("close: %v", err)
	}
	return fd
}

func TestBoolOptionsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		set  func(fd int, on bool) error
		get  func(fd int) (bool, error)
	}{
		{name: "TCP_NODELAY", set: SetNoDelay, get: NoDelay},
		{name: "SO_REUSEADDR", set: SetReuseAddr, get: ReuseAddr},
		{name: "SO_REUSEPORT", set: SetReusePort, get: ReusePort},
		{name: "SO_KEEPALIVE", set: SetKeepAlive, get: KeepAlive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tcpSocket(t)
			for _, on := range []bool{true, false, true} {
				if err := tt.set(fd, on); err != nil {
					t.Fatalf("set %v: %v", on, err)
				}
				got, err := tt.get(fd)
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				if got != on {
					t.Errorf("set %v, read back %v", on, got)
				}
			}
		})
	}
}

func TestErrorsOnClosedFD(t *testing.T) {
	fd := closedFD(t)
	err := SetNoDelay(fd, true)
	if !errors.Is(err, unix.EBADF) {
		t.Fatalf("SetNoDelay on closed fd: got %v, want EBADF", err)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "setsockopt TCP_NODELAY" {
		t.Errorf("error %v does not name setsockopt TCP_NODELAY", err)
	}
}
