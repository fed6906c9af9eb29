//go:build linux

package netpoll

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rawHandler is a RawHandler whose callbacks are hooks; OnData echoes
// unless data is set, and OnClose reports every close on closes.
type rawHandler struct {
	open     func(c *Conn)
	data     func(c *Conn, b []byte) int
	readable func(c *Conn)
	writable func(c *Conn)
	closes   chan closeEvent
}

// closeEvent is one OnClose call.
type closeEvent struct {
	c   *Conn
	err error
}

func newRawHandler() *rawHandler { return &rawHandler{closes: make(chan closeEvent, 64)} }

func (h *rawHandler) OnOpen(c *Conn) {
	if h.open != nil {
		h.open(c)
	}
}

func (h *rawHandler) OnData(c *Conn, b []byte) int {
	if h.data != nil {
		return h.data(c, b)
	}
	_, _ = c.Write(b)
	return len(b)
}

func (h *rawHandler) OnClose(c *Conn, err error) { h.closes <- closeEvent{c, err} }

func (h *rawHandler) OnReadable(c *Conn) {
	if h.readable != nil {
		h.readable(c)
	}
}

func (h *rawHandler) OnWritable(c *Conn) {
	if h.writable != nil {
		h.writable(c)
	}
}

func (h *rawHandler) nextClose(t *testing.T) closeEvent {
	t.Helper()
	select {
	case ev := <-h.closes:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no OnClose within 10s")
		return closeEvent{}
	}
}

// TestConnectOpensOnLoop pairs each accepted connection with one the
// loop makes to a backend: what the client sends reaches the backend
// through the outgoing Conn, whose OnOpen runs on the same loop.
func TestConnectOpensOnLoop(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	target := netip.MustParseAddrPort(backend.Addr().String())
	h := newRawHandler()
	type link struct{ peer *Conn }
	var sameLoop atomic.Bool
	h.open = func(c *Conn) {
		if l, ok := c.Context().(*link); ok { // the outgoing side
			sameLoop.Store(l.peer.Loop() == c.Loop())
			l.peer.SetContext(&link{peer: c})
			l.peer.ResumeReading()
			return
		}
		c.PauseReading()
		if _, err := c.Loop().Connect(target, &link{peer: c}); err != nil {
			t.Errorf("Connect: %v", err)
		}
	}
	h.data = func(c *Conn, b []byte) int {
		if l, ok := c.Context().(*link); ok && l.peer != nil {
			_, _ = l.peer.Write(b)
		}
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 2})
	client := dial(t, s)
	if _, err := client.Write([]byte("through")); err != nil {
		t.Fatal(err)
	}
	bc, err := backend.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	_ = bc.SetDeadline(time.Now().Add(10 * time.Second))
	if got := string(readFull(t, bc, 7)); got != "through" {
		t.Fatalf("backend got %q", got)
	}
	if !sameLoop.Load() {
		t.Error("the outgoing connection runs on another loop than the accepted one")
	}
}

// TestConnectRefused: a refused attempt ends in OnClose with
// ECONNREFUSED, and OnOpen never runs for it.
func TestConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close() // nothing listens there now
	h := newRawHandler()
	var opened atomic.Int32
	h.open = func(c *Conn) {
		if c.Context() != nil {
			opened.Add(1)
			return
		}
		c.SetContext("client")
		if _, err := c.Loop().Connect(target, "upstream"); err != nil {
			h.closes <- closeEvent{nil, err} // refused at once
		}
	}
	s := startServer(t, h, Config{Loops: 1})
	dial(t, s)
	ev := h.nextClose(t)
	if !errors.Is(ev.err, syscall.ECONNREFUSED) {
		t.Fatalf("close error %v, want ECONNREFUSED", ev.err)
	}
	if ev.c != nil && ev.c.Context() != "upstream" {
		t.Fatalf("closed %v, want the outgoing connection", ev.c.Context())
	}
	if opened.Load() != 0 {
		t.Error("OnOpen ran for a refused connection")
	}
}

// TestCloseWriteHalfCloses: after CloseWrite the client reads the bytes
// written before it, then end-of-file, and what it sends afterwards still
// reaches the handler.
func TestCloseWriteHalfCloses(t *testing.T) {
	h := newRawHandler()
	got := make(chan string, 4)
	h.data = func(c *Conn, b []byte) int {
		if string(b) == "bye" {
			_, _ = c.Write([]byte("last words"))
			if err := c.CloseWrite(); err != nil {
				t.Errorf("CloseWrite: %v", err)
			}
			if _, err := c.Write([]byte("x")); err != ErrClosed {
				t.Errorf("Write after CloseWrite: %v, want ErrClosed", err)
			}
			return len(b)
		}
		got <- string(b)
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 1})
	client := dial(t, s)
	if _, err := client.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(client)
	if err != nil || string(b) != "last words" {
		t.Fatalf("read %q, %v; want the last words, then EOF", b, err)
	}
	if _, err := client.Write([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "still here" {
			t.Fatalf("handler got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("input after CloseWrite never reached the handler")
	}
}

// TestRawConnEcho: a raw connection's bytes never pass through OnData;
// the handler reads and writes the descriptor itself on OnReadable, and
// waits for OnWritable when the socket is full.
func TestRawConnEcho(t *testing.T) {
	h := newRawHandler()
	var dataCalls atomic.Int32
	h.open = func(c *Conn) {
		if !c.SetRaw() {
			t.Error("SetRaw refused on a RawHandler")
		}
	}
	h.data = func(c *Conn, b []byte) int { dataCalls.Add(1); return len(b) }
	var held []byte // owned by the loop (one connection, one loop)
	flush := func(c *Conn) bool {
		for len(held) > 0 {
			n, err := unix.Write(c.Fd(), held)
			if err == unix.EAGAIN {
				c.WantWritable(true)
				c.PauseReading()
				return false
			}
			if err != nil {
				_ = c.Abort(err)
				return false
			}
			held = held[n:]
		}
		c.WantWritable(false)
		c.ResumeReading()
		return true
	}
	h.writable = func(c *Conn) { flush(c) }
	h.readable = func(c *Conn) {
		if !flush(c) {
			return
		}
		buf := make([]byte, 64<<10)
		n, err := unix.Read(c.Fd(), buf)
		switch {
		case err == unix.EAGAIN:
		case err != nil:
			_ = c.Abort(err)
		case n == 0:
			_ = c.Close()
		default:
			held = buf[:n]
			flush(c)
		}
	}
	s := startServer(t, h, Config{Loops: 1})
	client := dialSmallWindow(t, s)
	msg := make([]byte, 1<<20)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	go func() { _, _ = client.Write(msg); _ = client.CloseWrite() }()
	back, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(msg) || string(back) != string(msg) {
		t.Fatalf("echoed %d bytes, want the %d sent", len(back), len(msg))
	}
	if dataCalls.Load() != 0 {
		t.Errorf("OnData ran %d times for a raw connection", dataCalls.Load())
	}
}

// TestAbortResets: Abort closes with a reset the peer sees as
// ECONNRESET, and OnClose gets the error given.
func TestAbortResets(t *testing.T) {
	h := newRawHandler()
	cause := errors.New("cut")
	h.data = func(c *Conn, b []byte) int {
		_ = c.Abort(cause)
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 1})
	client := dial(t, s)
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if ev := h.nextClose(t); ev.err != cause {
		t.Fatalf("OnClose got %v, want %v", ev.err, cause)
	}
	_, err := io.ReadAll(client)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("client read %v, want ECONNRESET", err)
	}
}

// TestRawPausedHangupDoesNotSpin: a raw connection whose reading is
// paused and whose peer has shut down while its own write side is shut
// too (EPOLLHUP, which epoll reports whatever the interest) leaves the
// loop asleep: no callback runs until reading resumes.
func TestRawPausedHangupDoesNotSpin(t *testing.T) {
	h := newRawHandler()
	var conn atomic.Pointer[Conn]
	var readable atomic.Int32
	h.open = func(c *Conn) {
		c.SetRaw()
		_ = c.CloseWrite()
		c.PauseReading()
		conn.Store(c)
	}
	h.readable = func(c *Conn) {
		readable.Add(1)
		_ = c.Close()
	}
	s := startServer(t, h, Config{Loops: 1})
	client := dial(t, s)
	if b, err := io.ReadAll(client); err != nil || len(b) != 0 {
		t.Fatalf("read %q, %v; want EOF", b, err)
	}
	_ = client.CloseWrite()
	// Wait for a full round of the loop after the FIN arrived: a
	// function submitted now runs after the events already pending.
	for range 3 {
		done := make(chan struct{})
		if err := s.Loops()[0].Submit(func() { close(done) }); err != nil {
			t.Fatal(err)
		}
		<-done
	}
	if n := readable.Load(); n != 0 {
		t.Fatalf("OnReadable ran %d times while reading was paused", n)
	}
	registered := make(chan eventFlags, 1)
	_ = s.Loops()[0].Submit(func() { registered <- conn.Load().events })
	if ev := <-registered; ev != 0 {
		t.Fatalf("paused raw connection still registered for %#x", ev)
	}
	done := make(chan struct{})
	_ = s.Loops()[0].Submit(func() { conn.Load().ResumeReading(); close(done) })
	<-done
	if ev := h.nextClose(t); ev.err != nil {
		t.Fatalf("close error %v", ev.err)
	}
	if readable.Load() != 1 {
		t.Fatalf("OnReadable ran %d times after resuming, want 1", readable.Load())
	}
}
