//go:build linux

package netpoll

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

type benchEcho struct{}

func (benchEcho) OnOpen(*Conn)         {}
func (benchEcho) OnClose(*Conn, error) {}
func (benchEcho) OnData(c *Conn, b []byte) int {
	_, _ = c.Write(b)
	return len(b)
}

// blockingClient connects a blocking socket with TCP_NODELAY, so that the
// client side of a ping-pong is two plain system calls.
func blockingClient(b *testing.B, s *Server) int {
	b.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = unix.Close(fd) })
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		b.Fatal(err)
	}
	port := s.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(port), Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	return fd
}

func roundTrip(b *testing.B, fd int, msg, buf []byte) {
	if _, err := unix.Write(fd, msg); err != nil {
		b.Fatal(err)
	}
	for got := 0; got < len(buf); {
		n, err := unix.Read(fd, buf[got:])
		if err != nil || n == 0 {
			b.Fatalf("read: %d, %v", n, err)
		}
		got += n
	}
}

// BenchmarkEcho is a ping-pong over loopback against one loop: each
// operation is one message written by a blocking client and echoed back.
// allocs/op covers the whole process, server loop included; the steady
// state allocates nothing. wait=park is the default (Config.Wait); the
// wait=syscall variants compare when a loop sleeping in epoll_wait polls
// before blocking (Config.spinEvents, see Loop.wait): after busy rounds
// only (the default), after every round that had events, or never.
func BenchmarkEcho(b *testing.B) {
	modes := []struct {
		name       string
		wait       Wait
		spinEvents int
	}{
		{name: "wait=park", wait: WaitPark},
		{name: "wait=syscall,poll=adaptive", wait: WaitSyscall, spinEvents: 0},
		{name: "wait=syscall,poll=always", wait: WaitSyscall, spinEvents: 1},
		{name: "wait=syscall,poll=never", wait: WaitSyscall, spinEvents: math.MaxInt},
	}
	for _, mode := range modes {
		for _, size := range []int{64, 1024, 16 << 10} {
			b.Run(fmt.Sprintf("%s/size=%d", mode.name, size), func(b *testing.B) {
				benchRoundTrips(b, Config{Loops: 1, Wait: mode.wait, spinEvents: mode.spinEvents}, size)
			})
		}
	}
}

// benchRoundTrips serves benchEcho with cfg and measures round trips of
// size bytes from one blocking client, after 100 untimed.
func benchRoundTrips(b *testing.B, cfg Config, size int) {
	s, err := Listen("tcp", "127.0.0.1:0", benchEcho{}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	fd := blockingClient(b, s)
	msg, buf := make([]byte, size), make([]byte, size)
	for range 100 {
		roundTrip(b, fd, msg, buf)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, fd, msg, buf)
	}
}
