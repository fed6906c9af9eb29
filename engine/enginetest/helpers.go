package enginetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// Waits. quiet is how long a wait for something that must not happen
// (an echo of a dropped datagram) lasts; pollStep is the pause between
// two looks at a condition.
const (
	quiet    = 300 * time.Millisecond
	pollStep = 5 * time.Millisecond
)

// patience bounds any wait for something that must happen. It is generous
// because the suite runs under -race on loaded machines, and a passing run
// never waits for it; it is a variable so that the package's own tests,
// which expect failures, can shorten it.
var patience = 10 * time.Second

// start starts e with cfg, logging to t, and shuts it down when the case
// ends.
func start(t tb, e engine.Engine, cfg engine.Config) engine.Server {
	t.Helper()
	srv := startManual(t, e, cfg)
	t.Cleanup(func() { stop(t, srv) })
	return srv
}

// startManual starts e with cfg, logging to t; the caller stops it.
func startManual(t tb, e engine.Engine, cfg engine.Config) engine.Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	srv, err := e.Start(cfg)
	if err != nil {
		t.Fatalf("%s: Start: %v", e.Name(), err)
	}
	return srv
}

// stop shuts srv down, giving connections patience to drain, and checks
// that Done is closed afterwards.
func stop(t tb, srv engine.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown at the end of the case: %v", err)
	}
	select {
	case <-srv.Done():
	case <-time.After(patience):
		t.Errorf("Done not closed %v after Shutdown returned", patience)
	}
}

// testLogger returns a logger that writes to t until the case ends, so a
// server goroutine that outlives it cannot log into a finished test.
func testLogger(t tb) *slog.Logger {
	w := &tbWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// tbWriter forwards log lines to t.Logf until closed.
type tbWriter struct {
	mu     sync.Mutex
	t      tb
	closed bool
}

// Write logs p as one line.
func (w *tbWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Logf("server: %s", strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// close stops forwarding.
func (w *tbWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// dial connects to srv and closes the connection when the case ends.
func dial(t tb, srv engine.Server) *net.TCPConn {
	t.Helper()
	c, err := dialErr(srv)
	if err != nil {
		t.Fatalf("dial %v: %v", srv.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialErr connects to srv; the caller closes the connection.
func dialErr(srv engine.Server) (*net.TCPConn, error) {
	c, err := net.DialTimeout("tcp", srv.Addr().String(), patience)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// echo writes msg on c and checks that exactly msg comes back.
func echo(c net.Conn, msg []byte) error {
	if err := c.SetWriteDeadline(time.Now().Add(patience)); err != nil {
		return err
	}
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("write %d bytes: %w", len(msg), err)
	}
	return expect(c, msg)
}

// expect reads len(want) bytes from c and compares them with want. Each
// read may wait up to patience, so a long stream that makes progress
// never times out.
func expect(c net.Conn, want []byte) error { return expectWithin(c, want, patience) }

// expectWithin is expect with each read waiting up to wait.
func expectWithin(c net.Conn, want []byte, wait time.Duration) error {
	got := make([]byte, len(want))
	n := 0
	for n < len(got) {
		if err := c.SetReadDeadline(time.Now().Add(wait)); err != nil {
			return err
		}
		m, err := c.Read(got[n:])
		n += m
		if err != nil && n < len(got) {
			return fmt.Errorf("read %d of %d echoed bytes, then: %w", n, len(want), err)
		}
	}
	return compare(got, want)
}

// compare describes the first difference between got and want.
func compare(got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Errorf("echo differs from input at byte %d (got %d bytes, want %d): got %q, want %q",
		i, len(got), len(want), excerpt(got, i), excerpt(want, i))
}

// excerpt returns up to 16 bytes of p from i.
func excerpt(p []byte, i int) []byte {
	if i >= len(p) {
		return nil
	}
	return p[i:min(len(p), i+16)]
}

// readToClose reads c until an error and returns what it read and that
// error; each read waits up to wait.
func readToClose(c net.Conn, wait time.Duration) ([]byte, error) {
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		if err := c.SetReadDeadline(time.Now().Add(wait)); err != nil {
			return got, err
		}
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
}

// isClosed reports whether err is how a reader sees a connection the
// server closed: end of input, or a reset when the server closed with
// input unread (tcp(7): close with unread data sends RST).
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// isTimeout reports whether err is a passed deadline.
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// expectClosed reads c until the server closes it and checks that what
// arrived first is exactly want.
func expectClosed(c net.Conn, want []byte) error {
	got, err := readToClose(c, patience)
	if !isClosed(err) {
		return fmt.Errorf("connection not closed by the server after %d bytes: %w", len(got), err)
	}
	if cerr := compare(got, want); cerr != nil {
		return fmt.Errorf("before the close: %w", cerr)
	}
	return nil
}

// waitFor polls cond until it holds or patience runs out, and reports
// the failure with what.
func waitFor(t tb, what string, cond func() bool) bool {
	t.Helper()
	if !pollUntil(patience, cond) {
		t.Errorf("after %v: %s", patience, what)
		return false
	}
	return true
}

// pollUntil checks cond every pollStep until it holds or wait has passed,
// and reports whether it held.
func pollUntil(wait time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(pollStep)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// waitStats polls srv's stats until cond holds; on timeout it reports
// what and the last snapshot.
func waitStats(t tb, srv engine.Server, what string, cond func(engine.Stats) bool) bool {
	t.Helper()
	var last engine.Stats
	ok := waitFor(t, what, func() bool {
		last = srv.Stats()
		return cond(last)
	})
	if !ok {
		t.Logf("last stats: %+v", last)
	}
	return ok
}
