package sockopt

import (
	"errors"
	"math"
	"net"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// newSocket returns a fresh, unbound socket closed at cleanup.
func newSocket(t *testing.T, domain, typ, proto int) int {
	t.Helper()
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// tcpSocket returns a fresh, unbound IPv4 TCP socket.
func tcpSocket(t *testing.T) int {
	t.Helper()
	return newSocket(t, unix.AF_INET, unix.SOCK_STREAM, 0)
}

// udpSocket returns a fresh, unbound IPv4 UDP socket.
func udpSocket(t *testing.T) int {
	t.Helper()
	return newSocket(t, unix.AF_INET, unix.SOCK_DGRAM, 0)
}

// socketPair returns one end of an AF_UNIX pair of the given type.
func socketPair(t *testing.T, typ int) int {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return fds[0]
}

// closedFD returns a descriptor number that was a socket and is now closed.
// No other test in this package opens files concurrently, so the number
// stays free while the caller uses it.
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

// readSysctl reads a sysctl the test needs, skipping when it is missing.
func readSysctl(t *testing.T, name string) int {
	t.Helper()
	v, err := sysctl(name)
	if err != nil {
		t.Skipf("cannot read %s: %v", name, err)
	}
	return v
}

// requireSyscallError asserts that err is an *os.SyscallError naming call
// and wrapping want.
func requireSyscallError(t *testing.T, err error, call string, want error) {
	t.Helper()
	var se *os.SyscallError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not an *os.SyscallError", err, err)
	}
	if se.Syscall != call {
		t.Errorf("error names %q, want %q", se.Syscall, call)
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("error %v does not wrap %v", err, want)
	}
}

// loopbackPair returns the server side of an accepted loopback TCP
// connection and its client, both closed at cleanup.
func loopbackPair(t *testing.T) (server *net.TCPConn, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn), client
}

// rawConn returns the syscall.RawConn behind a net connection or listener.
func rawConn(t *testing.T, c syscall.Conn) syscall.RawConn {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatalf("SyscallConn: %v", err)
	}
	return rc
}

// withFD runs fn with the descriptor behind rc.
func withFD(t *testing.T, rc syscall.RawConn, fn func(fd int)) {
	t.Helper()
	if err := rc.Control(func(fd uintptr) { fn(int(fd)) }); err != nil {
		t.Fatalf("Control: %v", err)
	}
}

// forceableMax is the largest request whose double still fits the
// kernel's INT_MAX/2 cap on forced buffers (net/core/sock.c).
const forceableMax = math.MaxInt32 / 4
