//go:build linux

package netpoll

import (
	"errors"
	"net"
	"testing"
)

// closeProbe records what a Conn's methods return inside OnClose.
type closeProbe struct {
	opened chan *Conn
	closed chan inClose
}

// inClose is what Write, Close, CloseWithError and Fd returned in OnClose.
type inClose struct {
	write, close, closeWithError error
	fd                           int
}

func (p *closeProbe) OnOpen(c *Conn) { p.opened <- c }

func (p *closeProbe) OnData(c *Conn, b []byte) int { return len(b) }

func (p *closeProbe) OnClose(c *Conn, err error) {
	_, werr := c.Write([]byte("too late"))
	p.closed <- inClose{write: werr, close: c.Close(), closeWithError: c.CloseWithError(errors.New("again")), fd: c.Fd()}
}

// TestConnAfterClose checks what Conn's documentation promises: a Conn
// stays valid after OnClose and its methods remain safe to call on its
// loop, Write, Close and CloseWithError returning ErrClosed; and Submit on
// a stopped loop returns ErrClosed without running its function.
func TestConnAfterClose(t *testing.T) {
	p := &closeProbe{opened: make(chan *Conn, 1), closed: make(chan inClose, 1)}
	s, err := Listen("tcp", "127.0.0.1:0", p, Config{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, s) })
	client := dial(t, s)
	want := client.LocalAddr().(*net.TCPAddr).AddrPort()
	c := <-p.opened
	loop := c.Loop()
	type perConn struct{ n int }
	state := &perConn{n: 7}
	done := make(chan struct{})
	if err := loop.Submit(func() { c.SetContext(state); close(done) }); err != nil {
		t.Fatal(err)
	}
	<-done
	_ = client.Close()

	got := <-p.closed
	if !errors.Is(got.write, ErrClosed) || !errors.Is(got.close, ErrClosed) || !errors.Is(got.closeWithError, ErrClosed) || got.fd != -1 {
		t.Errorf("in OnClose: Write %v, Close %v, CloseWithError %v, Fd %d; want ErrClosed thrice and -1",
			got.write, got.close, got.closeWithError, got.fd)
	}

	tests := []struct {
		name string
		call func() any
		want any
	}{
		{name: "Write", call: func() any { _, err := c.Write([]byte("x")); return err }, want: ErrClosed},
		{name: "Close", call: func() any { return c.Close() }, want: ErrClosed},
		{name: "CloseWithError", call: func() any { return c.CloseWithError(errors.New("x")) }, want: ErrClosed},
		{name: "PauseReading", call: func() any { c.PauseReading(); return nil }, want: nil},
		{name: "ResumeReading", call: func() any { c.ResumeReading(); return nil }, want: nil},
		{name: "OutboundBuffered", call: func() any { return c.OutboundBuffered() }, want: 0},
		{name: "Fd", call: func() any { return c.Fd() }, want: -1},
		{name: "Context", call: func() any { return c.Context() }, want: state},
		{name: "RemoteAddr", call: func() any { return c.RemoteAddr() }, want: want},
		{name: "Loop", call: func() any { return c.Loop() }, want: loop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan any, 1)
			if err := loop.Submit(func() { got <- tt.call() }); err != nil {
				t.Fatal(err)
			}
			if g := <-got; g != tt.want {
				t.Errorf("%s after OnClose = %v, want %v", tt.name, g, tt.want)
			}
		})
	}

	shutdown(t, s)
	ran := false
	if err := loop.Submit(func() { ran = true }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit on a stopped loop = %v, want ErrClosed", err)
	}
	if ran {
		t.Fatal("Submit on a stopped loop ran its function")
	}
}
