//go:build linux

package netpoll

import (
	"bytes"
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestIdleTimeout(t *testing.T) {
	h := newTestHandler()
	s := startServer(t, h, Config{Loops: 1, IdleTimeout: 50 * time.Millisecond})
	busy := dial(t, s)
	idle := dial(t, s)
	readFull(t, busy, writeAll(t, busy, "x"))
	expectClosed(t, idle)
	if err := h.nextClose(t); !errors.Is(err, ErrIdleTimeout) {
		t.Fatalf("OnClose(%v), want ErrIdleTimeout", err)
	}
	if st := s.Stats(); st.IdleTimeouts < 1 {
		t.Fatalf("stats %+v, want an idle timeout", st)
	}
}

func TestWriteTimeout(t *testing.T) {
	h := newTestHandler()
	s := startServer(t, h, Config{Loops: 1, WriteTimeout: 100 * time.Millisecond, WriteLimit: 16 << 10})
	c := dialSmallWindow(t, s)
	go func() {
		// Never read: the server's output stalls.
		_, _ = c.Write(make([]byte, 16<<20))
	}()
	if err := h.nextClose(t); !errors.Is(err, ErrWriteTimeout) {
		t.Fatalf("OnClose(%v), want ErrWriteTimeout", err)
	}
	if st := s.Stats(); st.WriteTimeouts != 1 {
		t.Fatalf("stats %+v, want one write timeout", st)
	}
}

func TestMaxConns(t *testing.T) {
	s := startServer(t, newTestHandler(), Config{Loops: 2, MaxConns: 2})
	a, b := dial(t, s), dial(t, s)
	readFull(t, a, writeAll(t, a, "a"))
	readFull(t, b, writeAll(t, b, "b"))
	over := dial(t, s)
	if got := expectClosed(t, over); len(got) != 0 {
		t.Fatalf("rejected conn got %q", got)
	}
	if st := s.Stats(); st.Rejected != 1 || st.Accepted != 3 || st.Active != 2 {
		t.Fatalf("stats %+v, want 3 accepted, 1 rejected, 2 active", st)
	}
	// A slot frees up when a connection closes.
	_ = a.Close()
	eventually(t, "slot freed", func() bool { return s.Stats().Active == 1 })
	c := dial(t, s)
	readFull(t, c, writeAll(t, c, "c"))
}

func TestShutdownDrainsAndReleasesFDs(t *testing.T) {
	before := openFDs(t)
	h := newTestHandler()
	s, err := Listen("tcp", "127.0.0.1:0", h, Config{Loops: 2, Balance: ReusePort})
	if err != nil {
		t.Fatal(err)
	}
	var clients []*net.TCPConn
	for range 4 {
		c := dial(t, s)
		readFull(t, c, writeAll(t, c, "hi"))
		clients = append(clients, c)
	}
	// Input the server has not read yet when Shutdown starts is still
	// echoed.
	writeAll(t, clients[0], "last words")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := expectClosed(t, clients[0]); string(got) != "last words" {
		t.Fatalf("got %q after shutdown, want the pending echo", got)
	}
	for _, c := range clients[1:] {
		expectClosed(t, c)
		_ = c.Close()
	}
	_ = clients[0].Close()
	for range clients {
		if err := h.nextClose(t); !errors.Is(err, ErrServerClosed) {
			t.Errorf("OnClose(%v), want ErrServerClosed", err)
		}
	}
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open after shutdown, %d before", after, before)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Fatal("server still accepts after shutdown")
	}
}

func TestShutdownDeadlineCutsStuckConns(t *testing.T) {
	s, err := Listen("tcp", "127.0.0.1:0", newTestHandler(), Config{Loops: 1, WriteLimit: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	c := dialSmallWindow(t, s)
	go func() { _, _ = c.Write(make([]byte, 8<<20)) }()
	eventually(t, "backpressure", func() bool { return s.Stats().Backpressure > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want DeadlineExceeded", err)
	}
	<-s.Done()
	if s.Err() != nil {
		t.Fatalf("Err() = %v after Shutdown", s.Err())
	}
}

func TestListenErrors(t *testing.T) {
	tests := []struct {
		name    string
		network string
		address string
	}{
		{name: "udp network", network: "udp", address: "127.0.0.1:0"},
		{name: "bad address", network: "tcp", address: "127.0.0.1:notaport"},
		{name: "ipv6 on tcp4", network: "tcp4", address: "[::1]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := openFDs(t)
			if s, err := Listen(tt.network, tt.address, newTestHandler(), Config{Loops: 2}); err == nil {
				shutdown(t, s)
				t.Fatal("Listen succeeded")
			}
			if after := openFDs(t); after != before {
				t.Fatalf("failed Listen leaked %d descriptors", after-before)
			}
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	before := openFDs(t)
	if _, err := Listen("tcp", ln.Addr().String(), newTestHandler(), Config{Loops: 2}); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Listen on a used port: %v, want EADDRINUSE", err)
	}
	if after := openFDs(t); after != before {
		t.Fatalf("failed Listen leaked %d descriptors", after-before)
	}
}

func TestShutdownServesInputStillArriving(t *testing.T) {
	s, err := Listen("tcp", "127.0.0.1:0", newTestHandler(), Config{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, s)
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		werr <- err
	}()
	eventually(t, "server reading", func() bool { return s.Stats().BytesIn >= 1<<20 })
	sdErr := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sdErr <- s.Shutdown(ctx)
	}()
	// Everything the client sends while Shutdown runs is still echoed,
	// then the connection ends with EOF.
	if got := expectClosed(t, c); !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes back before close, want all %d", len(got), len(data))
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if err := <-sdErr; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}
