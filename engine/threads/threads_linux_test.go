package threads_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/threads"
	"github.com/rawnet/rawnet/frame"
)

// start runs the engine with cfg and shuts it down at cleanup.
func start(t *testing.T, cfg engine.Config) engine.Server {
	t.Helper()
	srv, err := threads.Engine{}.Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-srv.Done()
	})
	return srv
}

func dial(t *testing.T, srv engine.Server) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c.(*net.TCPConn)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestEchoFramed(t *testing.T) {
	tests := []struct {
		name string
		spec frame.Spec
		in   []byte
		want []byte // echoed before EOF
	}{
		{name: "raw", spec: frame.Spec{}, in: []byte("hello, raw"), want: []byte("hello, raw")},
		{name: "line drops partial", spec: frame.Spec{Kind: frame.KindLine}, in: []byte("a\nbc\nd"), want: []byte("a\nbc\n")},
		{name: "length", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 2},
			in: []byte{0, 2, 'h', 'i', 0, 0, 0, 1}, want: []byte{0, 2, 'h', 'i', 0, 0}},
		{name: "fixed", spec: frame.Spec{Kind: frame.KindFixed, FixedSize: 3}, in: []byte("abcdefg"), want: []byte("abcdef")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, engine.Config{Frame: tt.spec})
			c := dial(t, srv)
			if _, err := c.Write(tt.in); err != nil {
				t.Fatal(err)
			}
			c.CloseWrite()
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("echo = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLargeStreamHalfClose(t *testing.T) {
	srv := start(t, engine.Config{Frame: frame.Spec{Kind: frame.KindLine, Max: 1 << 20}})
	c := dial(t, srv)
	var in bytes.Buffer
	for i := 0; in.Len() < 8<<20; i++ {
		in.WriteString("line of echo traffic with some padding to make it longer\n")
	}
	go func() {
		c.Write(in.Bytes())
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, in.Bytes()) {
		t.Fatalf("echoed %d bytes, want %d identical", len(got), in.Len())
	}
}

func TestBadFrameEchoesEarlierFrames(t *testing.T) {
	srv := start(t, engine.Config{Frame: frame.Spec{Kind: frame.KindLength, LengthBytes: 1, Max: 8}})
	c := dial(t, srv)
	c.Write([]byte{2, 'o', 'k', 200, 'x'})
	got, _ := io.ReadAll(c)
	if want := []byte{2, 'o', 'k'}; !bytes.Equal(got, want) {
		t.Fatalf("echo = %q, want %q", got, want)
	}
	waitFor(t, "frame error counted", func() bool { return srv.Stats().Errors.Frame == 1 })
}

func TestIdleTimeout(t *testing.T) {
	srv := start(t, engine.Config{IdleTimeout: 50 * time.Millisecond})
	c := dial(t, srv)
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("read: %v", err)
	}
	if got := srv.Stats().Errors.Idle; got != 1 {
		t.Fatalf("Errors.Idle = %d, want 1", got)
	}
}

func TestMaxConnsRejects(t *testing.T) {
	srv := start(t, engine.Config{MaxConns: 1})
	first := dial(t, srv)
	first.Write([]byte("x"))
	io.ReadFull(first, make([]byte, 1))
	second := dial(t, srv)
	if _, err := io.ReadAll(second); err != nil && !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("read on rejected connection: %v", err)
	}
	if got := srv.Stats().Errors.Rejected; got != 1 {
		t.Fatalf("Errors.Rejected = %d, want 1", got)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

func TestIterativeServerQueuesInBacklog(t *testing.T) {
	srv := start(t, engine.Config{Threads: 1})
	first := dial(t, srv)
	first.Write([]byte("1"))
	io.ReadFull(first, make([]byte, 1))
	second := dial(t, srv) // completes in the backlog; nobody reads it yet
	second.Write([]byte("2"))
	if got := srv.Stats().Accepted; got != 1 {
		t.Fatalf("Accepted = %d with the only thread busy, want 1", got)
	}
	first.Close()
	b := make([]byte, 1)
	if _, err := io.ReadFull(second, b); err != nil || b[0] != '2' {
		t.Fatalf("second connection echo = %q, %v", b, err)
	}
}

func TestShutdownDrainsAndStops(t *testing.T) {
	srv, err := threads.Engine{}.Start(engine.Config{Frame: frame.Spec{Kind: frame.KindLine}})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv)
	c.Write([]byte("before shutdown\n"))
	b := make([]byte, 16)
	io.ReadFull(c, b)
	c.Write([]byte("pending\n"))
	waitFor(t, "pending line read", func() bool { return srv.Stats().Frames == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v, want nil after drain", err)
	}
	got, _ := io.ReadAll(c)
	if string(got) != "pending\n" {
		t.Fatalf("after shutdown read %q", got)
	}
	<-srv.Done()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown = %v", err)
	}
	if _, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		t.Fatal("dial after shutdown succeeded")
	}
}

func TestShutdownForcesBlockedWriter(t *testing.T) {
	srv, err := threads.Engine{}.Start(engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv)
	c.SetReadBuffer(4096)
	// Never read: the server thread blocks writing the echo.
	chunk := make([]byte, 64<<10)
	go func() {
		for i := 0; i < 1024; i++ {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	waitFor(t, "backpressure", func() bool { return srv.Stats().Errors.Backpressure > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	<-srv.Done()
	if got := srv.Stats().Active; got != 0 {
		t.Fatalf("Active = %d after Shutdown", got)
	}
}

func TestUDPEcho(t *testing.T) {
	srv := start(t, engine.Config{Network: "udp", Loops: 2, UDPBuffer: 16, Frame: frame.Spec{Kind: frame.KindLine}})
	c, err := net.Dial("udp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("this datagram is too long\n"))
	c.Write([]byte("no newline"))
	c.Write([]byte("ping\n"))
	b := make([]byte, 64)
	n, err := c.Read(b)
	if err != nil || string(b[:n]) != "ping\n" {
		t.Fatalf("read %q, %v; want ping", b[:n], err)
	}
	// The echo may arrive before the server counts it.
	waitFor(t, "1 truncated, 1 frame error, 1 frame counted", func() bool {
		st := srv.Stats()
		return st.Errors.Truncated == 1 && st.Errors.Frame == 1 && st.Frames == 1
	})
}

func TestStartRefusesAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	srv, err := threads.Engine{}.Start(engine.Config{Addr: busy.Addr().String()})
	if err == nil {
		srv.Shutdown(context.Background())
		t.Fatal("Start on a port in use succeeded")
	}
}

func TestStartRaisesTheRuntimeThreadLimit(t *testing.T) {
	const pool = 20000
	start(t, engine.Config{Threads: pool})
	limit := debug.SetMaxThreads(10000)
	debug.SetMaxThreads(limit)
	if limit < pool {
		t.Errorf("runtime thread limit %d after starting a pool of %d; a full pool would kill the process", limit, pool)
	}
}
