//go:build linux

package netpoll

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testHandler echoes by default; hooks override each callback. It records
// every OnClose error.
type testHandler struct {
	open   func(c *Conn)
	data   func(c *Conn, b []byte) int
	mu     sync.Mutex
	closed []error
	closes chan error
}

func newTestHandler() *testHandler {
	return &testHandler{closes: make(chan error, 1024)}
}

func (h *testHandler) OnOpen(c *Conn) {
	if h.open != nil {
		h.open(c)
	}
}

func (h *testHandler) OnData(c *Conn, b []byte) int {
	if h.data != nil {
		return h.data(c, b)
	}
	_, _ = c.Write(b)
	return len(b)
}

func (h *testHandler) OnClose(c *Conn, err error) {
	h.mu.Lock()
	h.closed = append(h.closed, err)
	h.mu.Unlock()
	h.closes <- err
}

// nextClose waits for the next OnClose error.
func (h *testHandler) nextClose(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.closes:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no OnClose within 10s")
		return nil
	}
}

// startServer starts a TCP server on loopback and shuts it down, checking
// that it drains, at cleanup.
func startServer(t *testing.T, h Handler, cfg Config) *Server {
	t.Helper()
	s, err := Listen("tcp", "127.0.0.1:0", h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, s) })
	return s
}

func shutdown(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Shutdown returned")
	}
}

func dial(t *testing.T, s *Server) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c.(*net.TCPConn)
}

// dialSmallWindow dials with a 4 KiB receive buffer set before connect,
// so the window is small from the SYN on and the server's output backs up
// after a few kilobytes. Shrinking the buffer after connect would instead
// make the kernel drop segments it already advertised room for and stall
// on retransmission timeouts.
func dialSmallWindow(t *testing.T, s *Server) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
		})
		return errors.Join(err, serr)
	}}
	c, err := d.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c.(*net.TCPConn)
}

// readFull reads exactly n bytes.
func readFull(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return b
}

// expectEOF reads until the server closes the connection and returns what
// came before; a reset counts as closed.
func expectClosed(t *testing.T, c net.Conn) []byte {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !isReset(err) {
		t.Fatalf("waiting for close: %v", err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("server did not close the connection")
	}
	return b
}

func isReset(err error) bool {
	var se *os.SyscallError
	return errors.As(err, &se)
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// echoOnce writes msg to c and reads its echo back, for client goroutines
// that report errors rather than stop the test.
func echoOnce(c io.ReadWriter, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo differs")
	}
	return nil
}
