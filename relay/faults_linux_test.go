//go:build linux

package relay

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestHalfClose: a FIN from one side reaches the other as end-of-file
// after the last byte, while the other direction keeps flowing, in both
// orders.
func TestHalfClose(t *testing.T) {
	for _, path := range paths {
		t.Run(path.name+"/client-first", func(t *testing.T) {
			b := startBackend(t, func(c *net.TCPConn) {
				got, err := io.ReadAll(c) // until the client's FIN
				if err != nil {
					return
				}
				_, _ = c.Write(append([]byte("after your FIN: "), got...))
				_ = c.CloseWrite()
				_, _ = io.Copy(io.Discard, c)
			})
			r, _ := startRelay(t, Config{Path: path.path}, b.addr())
			c := dial(t, r)
			if _, err := c.Write([]byte("question")); err != nil {
				t.Fatal(err)
			}
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			if err != nil || string(got) != "after your FIN: question" {
				t.Fatalf("read %q, %v", got, err)
			}
			eventually(t, "the pair to end", func() bool { return r.Stats().Closed.Done == 1 })
		})
		t.Run(path.name+"/upstream-first", func(t *testing.T) {
			late := make(chan string, 1)
			b := startBackend(t, func(c *net.TCPConn) {
				_, _ = c.Write([]byte("all I have"))
				_ = c.CloseWrite()
				got, _ := io.ReadAll(c)
				late <- string(got)
			})
			r, _ := startRelay(t, Config{Path: path.path}, b.addr())
			c := dial(t, r)
			got, err := io.ReadAll(c)
			if err != nil || string(got) != "all I have" {
				t.Fatalf("read %q, %v", got, err)
			}
			if _, err := c.Write([]byte("still talking")); err != nil {
				t.Fatal(err)
			}
			_ = c.CloseWrite()
			if s := <-late; s != "still talking" {
				t.Fatalf("upstream got %q after its FIN", s)
			}
			eventually(t, "the pair to end", func() bool { return r.Stats().Closed.Done == 1 })
		})
	}
}

// fillUntilBlocked writes to c until a write makes no progress for
// 300 ms, at most limit bytes, and returns what it wrote.
func fillUntilBlocked(t *testing.T, c net.Conn, limit int) int {
	t.Helper()
	buf := make([]byte, 64<<10)
	total := 0
	for total < limit {
		_ = c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Write(buf)
		total += n
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return total
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	t.Fatalf("wrote %d bytes to a peer that never reads without blocking", total)
	return total
}

// TestNeverReader: with a peer that never reads on either side, the
// sender blocks once the socket buffers and one pipe or buffer are full;
// the relay holds at most one pipe's or buffer's worth for that
// direction, and nothing grows after that.
func TestNeverReader(t *testing.T) {
	const limit = 256 << 20
	for _, path := range paths {
		t.Run(path.name+"/upstream", func(t *testing.T) {
			b := startBackend(t, nil) // accepts and never reads
			r, _ := startRelay(t, Config{Path: path.path}, b.addr())
			c := dial(t, r)
			n := fillUntilBlocked(t, c, limit)
			checkHeld(t, r, n)
			// The upstream goes away with a reset: Shutdown's drain
			// would otherwise wait for the bytes the relay holds for it.
			u := (<-b.conns).(*net.TCPConn)
			_ = u.SetLinger(0)
			_ = u.Close()
		})
		t.Run(path.name+"/client", func(t *testing.T) {
			wrote := make(chan int, 1)
			b := startBackend(t, func(c *net.TCPConn) { wrote <- fillUntilBlocked(t, c, limit) })
			r, _ := startRelay(t, Config{Path: path.path}, b.addr())
			c := dial(t, r)
			_ = c // connected and never read
			n := <-wrote
			checkHeld(t, r, n)
		})
	}
}

// checkHeld checks that the relay holds no more than one direction's
// pipe, grown or not, or buffer after a sender wrote n bytes into a peer
// that never reads.
func checkHeld(t *testing.T, r *Relay, n int) {
	t.Helper()
	bound := int64(max(r.PipeCapacity(), r.PipeGrowSize(), copyBuffer))
	s := r.Stats()
	t.Logf("sender wrote %d bytes before blocking; relay holds %d (bound %d)", n, s.Held, bound)
	if s.Held > bound || s.Held < 0 {
		t.Fatalf("relay holds %d bytes, over the bound %d", s.Held, bound)
	}
}

// TestUpstreamRefused: an upstream that refuses closes the client with
// a reset, logs the reason and counts it; the relay keeps serving.
func TestUpstreamRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	r, logs := startRelay(t, Config{}, dead)
	for i := range 3 {
		// The reset may come before the dial has returned.
		c, err := net.DialTimeout("tcp", r.Addr().String(), 5*time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			_, err = io.ReadAll(c)
			c.Close()
		}
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	eventually(t, "three refusals counted", func() bool { return r.Stats().Closed.ConnectRefused == 3 })
	if s := r.Stats(); s.Active != 0 {
		t.Errorf("active %d after every pair ended", s.Active)
	}
	if l := logs.String(); !strings.Contains(l, "reason=connect_refused") || !strings.Contains(l, dead) {
		t.Errorf("no log line naming the refusal and the upstream:\n%s", l)
	}
}

// TestConnectTimeout: an upstream that never answers the SYN, because
// its accept queue is full, closes the pair at Config.ConnectTimeout.
func TestConnectTimeout(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	// A backlog of 0 admits one connection to the accept queue; with it
	// full, Linux drops further SYNs (tcp_conn_request), so connects to
	// it hang until their timeout.
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*unix.SockaddrInet4).Port))
	var fillers []net.Conn
	defer func() {
		for _, c := range fillers {
			c.Close()
		}
	}()
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break // the queue is full
		}
		fillers = append(fillers, c)
	}
	if len(fillers) == 4 {
		t.Skip("this kernel accepts past a full backlog; cannot make a connect hang on loopback")
	}
	r, logs := startRelay(t, Config{ConnectTimeout: 200 * time.Millisecond}, addr)
	c := dial(t, r)
	if _, err := io.ReadAll(c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatal(err)
	}
	eventually(t, "the timeout counted", func() bool { return r.Stats().Closed.ConnectTimeout == 1 })
	if !strings.Contains(logs.String(), "reason=connect_timeout") {
		t.Errorf("no log line for the timeout:\n%s", logs.String())
	}
}

// TestResetMidStream: a side that resets in the middle of a transfer
// resets the other side and ends only its own pair, counted by side.
func TestResetMidStream(t *testing.T) {
	for _, path := range paths {
		t.Run(path.name+"/upstream", func(t *testing.T) {
			b := startBackend(t, func(c *net.TCPConn) {
				buf := make([]byte, 1000)
				_, _ = io.ReadFull(c, buf)
				_ = c.SetLinger(0)
			}) // the deferred Close now resets
			r, logs := startRelay(t, Config{Path: path.path}, b.addr())
			bystander := dial(t, r)
			c := dial(t, r)
			_, _ = c.Write(make([]byte, 1000))
			_, err := io.ReadAll(c)
			if err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatal(err)
			}
			eventually(t, "the reset counted", func() bool { return r.Stats().Closed.UpstreamReset == 1 })
			if !strings.Contains(logs.String(), "reason=upstream_reset") {
				t.Errorf("no log line for the reset:\n%s", logs.String())
			}
			if s := r.Stats(); s.Active != 1 {
				t.Errorf("active pairs %d, want the bystander's alone", s.Active)
			}
			_ = bystander
		})
		t.Run(path.name+"/client", func(t *testing.T) {
			upErr := make(chan error, 1)
			b := startBackend(t, func(c *net.TCPConn) {
				_, err := io.Copy(io.Discard, c)
				upErr <- err
			})
			r, _ := startRelay(t, Config{Path: path.path}, b.addr())
			c := dial(t, r)
			_, _ = c.Write(make([]byte, 1000))
			_ = c.SetLinger(0)
			c.Close()
			if err := <-upErr; !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("upstream saw %v, want ECONNRESET", err)
			}
			eventually(t, "the reset counted", func() bool { return r.Stats().Closed.ClientReset == 1 })
		})
	}
}
