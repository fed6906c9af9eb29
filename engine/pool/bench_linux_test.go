//go:build linux

package pool_test

import (
	"context"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/pool"
)

// BenchmarkEcho is a ping-pong over loopback through one loop and the
// workers: one 64-byte frame written by a blocking client and echoed per
// operation, for each kind of worker. allocs/op counts the whole
// process, loop and workers included: a batch's task, buffer and the
// function that hands it back are recycled, so it should be 0.
func BenchmarkEcho(b *testing.B) {
	for _, kind := range []string{engine.WorkerThread, engine.WorkerGoroutine} {
		b.Run(kind, func(b *testing.B) {
			srv, err := pool.Engine{}.Start(engine.Config{Loops: 1, Workers: 2, WorkerKind: kind})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = unix.Close(fd) })
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
				b.Fatal(err)
			}
			ap := netip.MustParseAddrPort(srv.Addr().String())
			if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
				b.Fatal(err)
			}
			msg, buf := make([]byte, 64), make([]byte, 64)
			for range 100 {
				pingPong(b, fd, msg, buf)
			}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				pingPong(b, fd, msg, buf)
			}
		})
	}
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
