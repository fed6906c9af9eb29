//go:build linux

package epoll_test

import (
	"context"
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/epoll"
	"github.com/rawnet/rawnet/frame"
)

// benchServer starts the engine with one loop and returns a connected
// blocking client socket of the given type.
func benchServer(b *testing.B, cfg engine.Config, typ int) int {
	b.Helper()
	cfg.Loops = 1
	srv, err := epoll.Engine{}.Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = unix.Close(fd) })
	if typ == unix.SOCK_STREAM {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
			b.Fatal(err)
		}
	}
	ap := netip.MustParseAddrPort(srv.Addr().String())
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		b.Fatal(err)
	}
	return fd
}

// pingPong writes msg and reads len(msg) bytes back.
func pingPong(b *testing.B, fd int, msg, buf []byte) {
	if _, err := unix.Write(fd, msg); err != nil {
		b.Fatal(err)
	}
	for got := 0; got < len(msg); {
		n, err := unix.Read(fd, buf[got:len(msg)])
		if err != nil || n == 0 {
			b.Fatalf("read: %d, %v", n, err)
		}
		got += n
	}
}

// BenchmarkEcho is a ping-pong over loopback: one frame written by a
// blocking client and echoed by the engine per operation, for each
// framing. allocs/op counts the whole process, server loop included.
func BenchmarkEcho(b *testing.B) {
	tests := []struct {
		name string
		spec frame.Spec
		msg  []byte
	}{
		{name: "raw/64", spec: frame.Spec{Kind: frame.KindRaw}, msg: make([]byte, 64)},
		{name: "line/64", spec: frame.Spec{Kind: frame.KindLine}, msg: append(make([]byte, 63), '\n')},
		{name: "length4/64", spec: frame.Spec{Kind: frame.KindLength}, msg: lengthFrame(64)},
		{name: "length4/16K", spec: frame.Spec{Kind: frame.KindLength}, msg: lengthFrame(16 << 10)},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			fd := benchServer(b, engine.Config{Frame: tt.spec}, unix.SOCK_STREAM)
			buf := make([]byte, len(tt.msg))
			for range 100 {
				pingPong(b, fd, tt.msg, buf)
			}
			b.SetBytes(int64(len(tt.msg)))
			b.ReportAllocs()
			for b.Loop() {
				pingPong(b, fd, tt.msg, buf)
			}
		})
	}
}

// BenchmarkEchoPipelined writes 64 length-prefixed frames at once and
// reads them back: the engine finds them all in one read and echoes them
// with one send. Each operation is one frame.
func BenchmarkEchoPipelined(b *testing.B) {
	const batch = 64
	fd := benchServer(b, engine.Config{Frame: frame.Spec{Kind: frame.KindLength}}, unix.SOCK_STREAM)
	one := lengthFrame(64)
	var msg []byte
	for range batch {
		msg = append(msg, one...)
	}
	buf := make([]byte, len(msg))
	for range 10 {
		pingPong(b, fd, msg, buf)
	}
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%batch == 0 {
			pingPong(b, fd, msg, buf)
		}
	}
}

// BenchmarkEchoUDP is a ping-pong of 64-byte datagrams.
func BenchmarkEchoUDP(b *testing.B) {
	fd := benchServer(b, engine.Config{Network: "udp"}, unix.SOCK_DGRAM)
	msg, buf := make([]byte, 64), make([]byte, 64)
	for range 100 {
		pingPong(b, fd, msg, buf)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		pingPong(b, fd, msg, buf)
	}
}

// lengthFrame returns a frame of n bytes with a 4-byte length header.
func lengthFrame(n int) []byte {
	p := make([]byte, n)
	binary.BigEndian.PutUint32(p, uint32(n-4))
	return p
}
