//go:build linux

package relay

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// echoBackend echoes every connection until its FIN.
func echoBackend(t *testing.T) *backend {
	return startBackend(t, func(c *net.TCPConn) {
		_, _ = io.Copy(c, c)
		_ = c.CloseWrite()
	})
}

// TestChurn opens and closes many short pairs, several at a time: every
// echo comes back, every pair ends as done, and the process holds no
// descriptor more than the pooled pipes afterwards.
func TestChurn(t *testing.T) {
	const pairs, parallel = 400, 8
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			b := echoBackend(t)
			r, _ := startRelay(t, Config{Path: path.path}, b.addr())
			before := openFDs(t)
			var wg sync.WaitGroup
			errs := make(chan error, parallel)
			for w := range parallel {
				wg.Add(1)
				go func() {
					defer wg.Done()
					msg := make([]byte, 1024+w)
					for range pairs / parallel {
						if err := echoOnce(r.Addr().String(), msg); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			eventually(t, "every pair to end", func() bool { return r.Stats().Closed.Done == pairs })
			s := r.Stats()
			if s.Active != 0 || s.Held != 0 {
				t.Errorf("active %d, held %d after every pair ended", s.Active, s.Held)
			}
			// The backend's side closes asynchronously too.
			eventually(t, "descriptors back to the pooled pipes", func() bool {
				return openFDs(t) <= before+2*int(r.Stats().Pipes)
			})
		})
	}
}

// echoOnce sends msg through a new connection, reads the echo and
// closes.
func echoOnce(addr string, msg []byte) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(msg); err != nil {
		return err
	}
	_ = c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if string(got) != string(msg) {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// TestBalance: round-robin takes the upstreams in turn; least-conn
// sends a new pair to the upstream with the fewest open ones.
func TestBalance(t *testing.T) {
	count := func() (*backend, chan struct{}) {
		seen := make(chan struct{}, 16)
		return startBackend(t, func(c *net.TCPConn) {
			seen <- struct{}{}
			_, _ = io.Copy(io.Discard, c)
		}), seen
	}
	a, seenA := count()
	b, seenB := count()
	t.Run("roundrobin", func(t *testing.T) {
		r, _ := startRelay(t, Config{}, a.addr(), b.addr())
		for range 4 {
			dial(t, r)
		}
		for range 2 {
			<-seenA
			<-seenB
		}
	})
	t.Run("leastconn", func(t *testing.T) {
		r, _ := startRelay(t, Config{Balance: LeastConn}, a.addr(), b.addr())
		first := dial(t, r) // to a, the first listed on a tie
		<-seenA
		dial(t, r) // to b, which has none
		<-seenB
		first.Close()
		eventually(t, "the first pair to end", func() bool { return r.Stats().Active == 1 })
		dial(t, r) // to a again, now the emptier
		<-seenA
	})
}

// TestMaxConns: past Config.MaxConns a client is closed at once and
// counted; the pairs already open are untouched.
func TestMaxConns(t *testing.T) {
	b := echoBackend(t)
	r, _ := startRelay(t, Config{MaxConns: 1}, b.addr())
	first := dial(t, r)
	eventually(t, "the first pair", func() bool { return r.Stats().Active == 1 })
	second := dial(t, r)
	if _, err := io.ReadAll(second); err != nil {
		t.Fatalf("second client: %v", err)
	}
	if n := r.Stats().Closed.MaxConns; n != 1 {
		t.Fatalf("max_conns closes %d, want 1", n)
	}
	if _, err := first.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(first, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("first pair: %q, %v", buf, err)
	}
}
