//go:build linux

package relay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// backend is an upstream on loopback whose connections go to serve, each
// in a goroutine of its own.
type backend struct {
	ln    net.Listener
	wg    sync.WaitGroup
	conns chan net.Conn
}

// startBackend listens on loopback and hands every connection to serve;
// a nil serve keeps the connections unread on b.conns.
func startBackend(t *testing.T, serve func(c *net.TCPConn)) *backend {
	t.Helper()
	return startBackendWith(t, net.ListenConfig{}, serve)
}

// startBackendWith is startBackend with the listener made by lc.
func startBackendWith(t *testing.T, lc net.ListenConfig, serve func(c *net.TCPConn)) *backend {
	t.Helper()
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{ln: ln, conns: make(chan net.Conn, 1024)}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				// EMFILE, in TestEMFILE: the connection waits in the
				// queue until descriptors are back.
				time.Sleep(time.Millisecond)
				continue
			}
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			if serve == nil {
				b.conns <- c
				continue
			}
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				serve(c.(*net.TCPConn))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		close(b.conns)
		for c := range b.conns {
			c.Close()
		}
		b.wg.Wait()
	})
	return b
}

func (b *backend) addr() string { return b.ln.Addr().String() }

// logBuffer collects log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startRelay starts a relay on loopback in front of upstreams, logging
// into the returned buffer, and shuts it down at cleanup.
func startRelay(t *testing.T, cfg Config, upstreams ...string) (*Relay, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg.Addr = "127.0.0.1:0"
	cfg.Upstreams = upstreams
	if cfg.Loops == 0 {
		cfg.Loops = 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return r, logs
}

func dial(t *testing.T, r *Relay) *net.TCPConn {
	t.Helper()
	return dialWith(t, r, net.Dialer{})
}

// smallWindow sets a 4 KiB receive buffer before connect or listen, so
// the window is small from the SYN on and a sender fills it at once.
func smallWindow(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
	})
	return errors.Join(err, serr)
}

// dialWith dials the relay with d.
func dialWith(t *testing.T, r *Relay, d net.Dialer) *net.TCPConn {
	t.Helper()
	d.Timeout = 5 * time.Second
	c, err := d.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c.(*net.TCPConn)
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

// paths are the data paths, for tests that run on each.
var paths = []struct {
	name string
	path Path
}{{"auto", PathAuto}, {"splice", PathSplice}, {"copy", PathCopy}}
