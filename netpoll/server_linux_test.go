//go:build linux

package netpoll

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
)

func TestEchoBalance(t *testing.T) {
	tests := []struct {
		name    string
		balance Balance
		loops   int
	}{
		{name: "roundrobin/1", balance: RoundRobin, loops: 1},
		{name: "roundrobin/3", balance: RoundRobin, loops: 3},
		{name: "leastconn/3", balance: LeastConn, loops: 3},
		{name: "reuseport/3", balance: ReusePort, loops: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler()
			s := startServer(t, h, Config{Loops: tt.loops, Balance: tt.balance})
			const clients = 12
			var wg sync.WaitGroup
			for i := range clients {
				c := dial(t, s)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range 20 {
						msg := []byte(fmt.Sprintf("client %d message %d\n", i, j))
						if _, err := c.Write(msg); err != nil {
							t.Error(err)
							return
						}
						got := make([]byte, len(msg))
						if _, err := io.ReadFull(c, got); err != nil {
							t.Error(err)
							return
						}
						if !bytes.Equal(got, msg) {
							t.Errorf("echo %q, want %q", got, msg)
							return
						}
					}
				}()
			}
			wg.Wait()
			st := s.Stats()
			if st.Accepted != clients || st.Active != clients {
				t.Errorf("stats %+v, want %d accepted and active", st, clients)
			}
			if tt.balance == RoundRobin || tt.balance == LeastConn {
				for _, l := range s.Loops() {
					if n := l.stats.active.Load(); n != clients/int64(tt.loops) {
						t.Errorf("loop %d serves %d connections, want %d", l.Index(), n, clients/tt.loops)
					}
				}
			}
		})
	}
}

// lineHandler consumes complete lines only, leaving partial ones to the
// loop.
func lineHandler() *testHandler {
	h := newTestHandler()
	h.data = func(c *Conn, b []byte) int {
		end := bytes.LastIndexByte(b, '\n') + 1
		if end > 0 {
			_, _ = c.Write(b[:end])
		}
		return end
	}
	return h
}

func TestPartialFramesAreKept(t *testing.T) {
	s := startServer(t, lineHandler(), Config{Loops: 1})
	c := dial(t, s)
	want := []byte("one\ntwo\nthree is a longer line\n")
	for i := range want {
		if _, err := c.Write(want[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if got := readFull(t, c, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("echo %q, want %q", got, want)
	}
	// A frame far larger than the shared read buffer arrives in pieces.
	big := append(bytes.Repeat([]byte("x"), 5*defaultReadBuffer/2), '\n')
	go func() { _, _ = c.Write(big) }()
	if got := readFull(t, c, len(big)); !bytes.Equal(got, big) {
		t.Fatal("large frame came back changed")
	}
}

func TestInputLimit(t *testing.T) {
	h := lineHandler()
	s := startServer(t, h, Config{Loops: 1, InputLimit: 1000})
	c := dial(t, s)
	if _, err := c.Write(bytes.Repeat([]byte("y"), 2000)); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, c)
	if err := h.nextClose(t); !errors.Is(err, ErrInputLimit) {
		t.Fatalf("OnClose(%v), want ErrInputLimit", err)
	}
}

func TestHalfCloseFlushesThenCloses(t *testing.T) {
	h := newTestHandler()
	s := startServer(t, h, Config{Loops: 1})
	c := dial(t, s)
	msg := bytes.Repeat([]byte("half-close "), 1000)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got := expectClosed(t, c); !bytes.Equal(got, msg) {
		t.Fatalf("got %d bytes back, want %d", len(got), len(msg))
	}
	if err := h.nextClose(t); err != nil {
		t.Fatalf("OnClose(%v) after an orderly close, want nil", err)
	}
}

func TestResetIsAnIOError(t *testing.T) {
	h := newTestHandler()
	s := startServer(t, h, Config{Loops: 1})
	c := dial(t, s)
	readFull(t, c, writeAll(t, c, "ping"))
	if err := c.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	err := h.nextClose(t)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("OnClose(%v), want ECONNRESET", err)
	}
	eventually(t, "IOErrors counted", func() bool { return s.Stats().IOErrors == 1 })
}

func writeAll(t *testing.T, c net.Conn, s string) int {
	t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return len(s)
}

func TestHandlerClose(t *testing.T) {
	h := newTestHandler()
	reason := errors.New("bad input")
	h.data = func(c *Conn, b []byte) int {
		_, _ = c.Write(b)
		if bytes.Contains(b, []byte("quit")) {
			if err := c.CloseWithError(reason); err != nil {
				t.Error(err)
			}
			if _, err := c.Write(b); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close: %v, want ErrClosed", err)
			}
		}
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 1})
	c := dial(t, s)
	// The server closes while input is still arriving: the echo must not
	// be lost to a reset.
	writeAll(t, c, "quit")
	got := expectClosed(t, c)
	if !bytes.HasPrefix(got, []byte("quit")) {
		t.Fatalf("got %q before close, want the echo first", got)
	}
	_ = c.Close() // the server lingers until the peer closes too
	if err := h.nextClose(t); !errors.Is(err, reason) {
		t.Fatalf("OnClose(%v), want %v", err, reason)
	}
}

func TestBackpressure(t *testing.T) {
	const limit = 64 << 10
	s := startServer(t, newTestHandler(), Config{Loops: 1, WriteLimit: limit})
	c := dialSmallWindow(t, s)
	const total = 8 << 20
	payload := bytes.Repeat([]byte("0123456789abcdef"), total/16)
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		done <- err
	}()
	// The client reads nothing yet: the server must pause instead of
	// queueing all 8 MiB.
	eventually(t, "backpressure", func() bool { return s.Stats().Backpressure > 0 })
	var got []byte
	buf := make([]byte, 64<<10)
	for len(got) < total {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("echo differs from what was sent")
	}
}

func TestHandlerPanicClosesOnlyItsConn(t *testing.T) {
	h := newTestHandler()
	h.data = func(c *Conn, b []byte) int {
		if bytes.Contains(b, []byte("boom")) {
			panic("boom")
		}
		_, _ = c.Write(b)
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 1})
	bad, good := dial(t, s), dial(t, s)
	writeAll(t, bad, "boom")
	expectClosed(t, bad)
	if err := h.nextClose(t); !errors.Is(err, ErrPanic) {
		t.Fatalf("OnClose(%v), want ErrPanic", err)
	}
	readFull(t, good, writeAll(t, good, "still here"))
}

func TestSubmitWritesFromAnotherGoroutine(t *testing.T) {
	h := newTestHandler()
	conns := make(chan *Conn, 1)
	h.open = func(c *Conn) { conns <- c }
	s := startServer(t, h, Config{Loops: 2})
	client := dial(t, s)
	c := <-conns
	if err := c.Loop().Submit(func() { _, _ = c.Write([]byte("pushed")) }); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, client, 6); string(got) != "pushed" {
		t.Fatalf("got %q", got)
	}
}

func TestStaleEventIsIgnored(t *testing.T) {
	h := newTestHandler()
	conns := make(chan *Conn, 1)
	h.open = func(c *Conn) { conns <- c }
	reads := make(chan int, 16)
	h.data = func(c *Conn, b []byte) int {
		reads <- len(b)
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 1})
	client := dial(t, s)
	c := <-conns
	done := make(chan struct{})
	if err := c.Loop().Submit(func() {
		defer close(done)
		// An event carrying an older generation for c's fd must not
		// reach c.
		c.loop.dispatch(event{fd: int(c.fd), tag: c.gen - 1, flags: eventRead})
	}); err != nil {
		t.Fatal(err)
	}
	<-done
	select {
	case n := <-reads:
		t.Fatalf("stale event delivered %d bytes", n)
	default:
	}
	writeAll(t, client, "live")
	if n := <-reads; n != 4 {
		t.Fatalf("live event delivered %d bytes, want 4", n)
	}
}
