package gnetengine

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// blockingPair returns a connected loopback TCP pair: the server side as a
// blocking descriptor the caller owns, and the client side with a small
// receive buffer, so that a large write blocks until the client reads.
func blockingPair(t *testing.T) (int, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
		})
	}}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	f, err := sc.(*net.TCPConn).File() // a blocking duplicate
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd, c.(*net.TCPConn)
}

// writeAll writes p to fd, blocking, and reports the error that ended it.
func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// TestFlushWatchdog checks the close-time flush's watchdog: a blocked
// write to a peer that keeps reading runs to the end, however long that
// takes compared with the limit, and one to a peer that stopped reading
// is ended once no byte was acknowledged for the limit.
func TestFlushWatchdog(t *testing.T) {
	const limit = 100 * time.Millisecond
	tests := []struct {
		name    string
		reading bool
	}{
		{name: "reader keeps reading", reading: true},
		{name: "reader stopped", reading: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd, c := blockingPair(t)
			dup, err := unix.Dup(fd)
			if err != nil {
				t.Fatal(err)
			}
			f := watchFlush(dup, limit)
			t.Cleanup(f.release)
			out := make([]byte, 4<<20)
			wrote := make(chan error, 1)
			go func() { wrote <- writeAll(fd, out) }()
			if !tt.reading {
				select {
				case err := <-wrote:
					if err == nil {
						t.Fatal("a write to a peer that reads nothing completed")
					}
				case <-time.After(10 * time.Second):
					t.Fatal("the watchdog did not end a flush that made no progress")
				}
				return
			}
			// Read 32 KiB every 10 ms: 4 MiB take over a second, ten
			// times the limit, with progress all along. The pace
			// shapes the load; it synchronises nothing.
			got := 0
			buf := make([]byte, 32<<10)
			for got < len(out) {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				n, err := io.ReadFull(c, buf[:min(len(buf), len(out)-got)])
				got += n
				if err != nil {
					t.Fatalf("read after %d of %d bytes: %v", got, len(out), err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := <-wrote; err != nil {
				t.Fatalf("a flush to a reader making progress ended with %v", err)
			}
		})
	}
}
