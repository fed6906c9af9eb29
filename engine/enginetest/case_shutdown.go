package enginetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
)

// Shutdown sizes and deadlines.
const (
	shutdownBytes    = 4 << 20
	shutdownGrace    = 5 * time.Second
	shutdownDeadline = 300 * time.Millisecond
	// shutdownOffer is more than the socket buffers of both ends hold
	// (net.ipv4.tcp_rmem and tcp_wmem allow 6 MiB and 4 MiB by default).
	shutdownOffer = 64 << 20
)

// shutdownCase checks that Shutdown stops accepting but lets a connection
// finish: input a client wrote before and while Shutdown runs is echoed in
// full, then the connection ends with EOF and Shutdown returns nil.
func shutdownCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{})
	g, err := newGen(newRand(t), frame.Spec{Kind: frame.KindRaw})
	if err != nil {
		t.Fatalf("%v", err)
	}
	data := g.frame(shutdownBytes)
	c := dial(t, srv)
	if err := echo(c, ping); err != nil {
		t.Fatalf("echo before Shutdown: %v", err)
	}
	werr := make(chan error, 1)
	go func() {
		c.SetWriteDeadline(time.Now().Add(patience))
		_, err := c.Write(data)
		werr <- err
	}()
	// Let the server take in part of the input before Shutdown starts.
	waitStats(t, srv, "server read nothing of the input", func(s engine.Stats) bool {
		return s.BytesIn >= uint64(len(ping))+1<<20
	})
	sdErr := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		sdErr <- srv.Shutdown(ctx)
	}()
	waitFor(t, "Shutdown did not stop accepting", func() bool {
		c, err := dialErr(srv)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	if err := expect(c, data); err != nil {
		t.Errorf("reading the echo of %d bytes after Shutdown began: %v", len(data), err)
	}
	if err := <-werr; err != nil {
		t.Errorf("writing %d bytes: %v", len(data), err)
	}
	if got, err := readToClose(c, patience); !errors.Is(err, io.EOF) || len(got) > 0 {
		t.Errorf("after the echo: want EOF, got %d more bytes and %v", len(got), err)
	}
	select {
	case err := <-sdErr:
		if err != nil {
			t.Errorf("Shutdown with every connection drained: want nil, got %v", err)
		}
	case <-time.After(patience):
		t.Fatalf("Shutdown did not return %v after its connection drained", patience)
	}
	select {
	case <-srv.Done():
	default:
		t.Errorf("Done not closed when Shutdown returned")
	}
	if c, err := dialErr(srv); err == nil {
		c.Close()
		t.Errorf("dial after Shutdown succeeded; want it refused")
	}
}

// shutdownDeadlineCase checks that Shutdown gives up on a connection
// whose output is not read once its context ends: it closes it and
// returns the context's error. The client keeps offering more than every
// kernel buffer on the path holds and never reads, so no engine can drain
// the connection in time, whether it pushes back on the writer or not.
func shutdownDeadlineCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{})
	c := dial(t, srv)
	if err := echo(c, ping); err != nil {
		t.Fatalf("echo before Shutdown: %v", err)
	}
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		c.SetWriteDeadline(time.Now().Add(patience))
		chunk := make([]byte, 64<<10)
		for sent := 0; sent < shutdownOffer; sent += len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				return // the server closed the connection, or the deadline hit
			}
		}
	}()
	defer func() { c.Close(); <-wdone }()
	waitStats(t, srv, "server read nothing of the input", func(s engine.Stats) bool {
		return s.BytesIn >= uint64(len(ping))+1<<20
	})
	sdErr := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownDeadline)
		defer cancel()
		sdErr <- srv.Shutdown(ctx)
	}()
	select {
	case err := <-sdErr:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown(%v) with output pending: want context.DeadlineExceeded, got %v", shutdownDeadline, err)
		}
	case <-time.After(patience):
		t.Fatalf("Shutdown(%v) with output pending did not return within %v", shutdownDeadline, patience)
	}
	waitStats(t, srv, "the connection Shutdown gave up on not counted in Closed.Shutdown", func(s engine.Stats) bool {
		return s.Closed.Shutdown == 1 && s.Active == 0
	})
	if got, err := readToClose(c, patience); !isClosed(err) {
		t.Errorf("after Shutdown returned: want the connection closed, got %d bytes then %v", len(got), err)
	}
	select {
	case <-srv.Done():
	default:
		t.Errorf("Done not closed when Shutdown returned")
	}
}

// restartCase checks that a server can bind the port of one that just
// shut down while its connections linger in TIME_WAIT.
func restartCase(t tb, e engine.Engine) {
	first := startManual(t, e, engine.Config{})
	t.Cleanup(func() { stop(t, first) })
	addr, ok := first.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("Addr() = %T %v, want *net.TCPAddr", first.Addr(), first.Addr())
	}
	c := dial(t, first)
	if err := echo(c, ping); err != nil {
		t.Fatalf("echo: %v", err)
	}
	// The server closes first, so its side of the connection goes
	// through FIN_WAIT2 to TIME_WAIT (tcp(7)).
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	sdErr := make(chan error, 1)
	go func() { sdErr <- first.Shutdown(ctx) }()
	if _, err := readToClose(c, patience); !isClosed(err) {
		t.Errorf("connection after Shutdown: want it closed by the server, got %v", err)
	}
	c.Close()
	if err := <-sdErr; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	second := start(t, e, engine.Config{Addr: fmt.Sprintf("127.0.0.1:%d", addr.Port)})
	if err := echo(dial(t, second), ping); err != nil {
		t.Errorf("echo on the restarted server: %v", err)
	}
}
