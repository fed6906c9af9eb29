//go:build linux

package hostile

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine/enginetest"
)

// Slow-reader shape: the write limit and timeout the server runs with,
// the per-connection memory allowed on top of the write limit (an input
// buffer and bookkeeping), and fixed slack for the runtime.
const (
	slowWriteLimit   = 64 << 10
	slowWriteTimeout = time.Second
	slowPerConn      = 192 << 10
	slowSlack        = 48 << 20
)

// dialSmall connects to addr with SO_RCVBUF and SO_SNDBUF set to tinyBuf
// before the handshake, so that a connection that stops reading holds
// little in kernel buffers and the server's own memory is what shows.
func dialSmall(addr string) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: patience, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = errors.Join(
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, tinyBuf),
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 64<<10))
		})
		return errors.Join(err, serr)
	}}
	c, err := d.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// slowReadersCase opens n connections at once that send until the server
// stops reading them and never read their echo. The server's RSS must
// stay within n x (write limit + slowPerConn) + slowSlack, and the write
// timeout must close every one of them: the server's descriptors return
// to where they were and the totals count the timeouts.
func slowReadersCase(n int) func(t tb, x *env) {
	return func(t tb, x *env) {
		bin, _ := binaries(t)
		p := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--log-level", "warn",
			"--write-limit", fmt.Sprint(slowWriteLimit), "--write-timeout", slowWriteTimeout.String(),
			"--threads", fmt.Sprint(n+16), "--rcvbuf", "64KiB", "--sndbuf", "64KiB")
		fds0, rss0 := countFDs(p.pid), rss(p.pid)
		conns := make([]*net.TCPConn, n)
		for i := range conns {
			c, err := dialSmall(p.addr)
			if err != nil {
				t.Fatalf("dial %d of %d: %v", i, n, err)
			}
			t.Cleanup(func() { c.Close() })
			conns[i] = c
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var sent int64
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, _ := fillUntilBlocked(c, make([]byte, 16<<10), 8<<20, 500*time.Millisecond)
				mu.Lock()
				sent += int64(m)
				mu.Unlock()
			}()
		}
		var peak int64
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		sample := time.NewTicker(50 * time.Millisecond)
		defer sample.Stop()
	fill:
		for {
			if r := rss(p.pid); r > peak {
				peak = r
			}
			select {
			case <-done:
				break fill
			case <-sample.C:
			}
		}
		growth := peak - rss0
		limit := int64(n)*(slowWriteLimit+slowPerConn) + slowSlack
		x.note(t, "%d slow readers sent %d MiB; server RSS grew %d MiB (bound %d MiB)", n, sent>>20, growth>>20, limit>>20)
		if growth > limit {
			t.Errorf("server RSS grew %d bytes with %d slow readers; want at most %d", growth, n, limit)
		}
		var fds int
		if !enginetest.PollUntil(patience+slowWriteTimeout, func() bool { fds = countFDs(p.pid); return fds <= fds0 }) {
			t.Errorf("write timeout %v did not reap the slow readers: server holds %d descriptors, %d before", slowWriteTimeout, fds, fds0)
		}
		_, totals := p.terminate(t, patience)
		if totals["write_timeout"] < uint64(n) {
			t.Errorf("totals count %d write timeouts, want %d: %v", totals["write_timeout"], n, totals)
		}
	}
}

// Slowloris shape: how often a trickling client sends its next byte, as
// a fraction of the idle timeout, and how many idle timeouts the server
// gets to close everything, on top of a second for the slack of timers
// and scheduling.
const (
	lorisTicks   = 4
	lorisTimeout = 4
)

// slowlorisCase opens, against a line-framed server with an idle
// timeout, n connections that send one byte of a line that never ends
// lorisTicks times per idle timeout, n that send nothing,
// and n that send one line and then nothing. The idle or frame timeout
// must close every one of them: the server's descriptors return to
// where they were within lorisTimeout idle timeouts.
func slowlorisCase(n int, idle time.Duration) func(t tb, x *env) {
	return func(t tb, x *env) {
		every := idle / lorisTicks
		bin, _ := binaries(t)
		p := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--log-level", "warn",
			"--framing", "line", "--idle-timeout", idle.String(), "--threads", fmt.Sprint(3*n+16))
		fds0 := countFDs(p.pid)
		var tricklers []net.Conn
		for i := range 3 * n {
			c := dial(t, p.addr)
			switch i % 3 {
			case 0:
				tricklers = append(tricklers, c)
			case 2:
				if err := echo(c, []byte("one line\n")); err != nil {
					t.Fatalf("echo of a line: %v", err)
				}
			}
		}
		began := time.Now()
		deadline := began.Add(lorisTimeout*idle + time.Second)
		tick := time.NewTicker(every)
		defer tick.Stop()
		var fds int
		for {
			fds = countFDs(p.pid)
			if fds <= fds0 || time.Now().After(deadline) {
				break
			}
			live := tricklers[:0]
			for _, c := range tricklers {
				c.SetWriteDeadline(time.Now().Add(every))
				if _, err := c.Write([]byte{'x'}); err == nil {
					live = append(live, c)
				}
			}
			tricklers = live
			<-tick.C
		}
		took := time.Since(began).Round(100 * time.Millisecond)
		if fds <= fds0 {
			x.note(t, "%d connections reaped in %v (idle timeout %v)", 3*n, took, idle)
		} else {
			x.note(t, "%d of %d connections still open after %v (idle timeout %v)", fds-fds0, 3*n, took, idle)
		}
		if fds > fds0 {
			t.Errorf("after %v: server holds %d descriptors, %d before %d idle and %d trickling connections; %d clients still trickling",
				time.Since(began).Round(time.Millisecond), fds, fds0, 2*n, n, len(tricklers))
		}
	}
}
