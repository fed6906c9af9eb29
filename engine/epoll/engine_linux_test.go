//go:build linux

package epoll

import (
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/sockopt"
)

// startEngine runs the engine with cfg until the test ends.
func startEngine(t *testing.T, cfg engine.Config) engine.Server {
	t.Helper()
	return enginetest.Start(t, Engine{}, cfg)
}

// waitStats waits until the server's stats satisfy cond: a client may see
// its echo a moment before the loop counts it.
func waitStats(t *testing.T, srv engine.Server, what string, cond func(engine.Stats) bool) {
	t.Helper()
	enginetest.WaitFor(t, what, func() bool { return cond(srv.Stats()) })
}

func echoOnce(t *testing.T, network string, srv engine.Server, msg string) {
	t.Helper()
	c, err := net.DialTimeout(network, srv.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo %q, %v; want %q", got, err, msg)
	}
}

// loopConns returns how many TCP connections each loop of srv holds open.
func loopConns(srv engine.Server) []int64 {
	s := srv.(*server)
	n := make([]int64, len(s.counter))
	for i := range s.counter {
		n[i] = s.counter[i].conns.Load()
	}
	return n
}

// dialHeld opens a connection to srv, sees one line echoed on it and keeps
// it open until the test ends. It returns the connection and the loop
// that took it: the one loop whose count went up by one. The loop runs
// OnOpen before it reads, so once the echo is back the count is in.
func dialHeld(t *testing.T, srv engine.Server) (net.Conn, int) {
	t.Helper()
	before := loopConns(srv)
	c := enginetest.Dial(t, srv)
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 6)); err != nil {
		t.Fatal(err)
	}
	after := loopConns(srv)
	loop := -1
	for i := range after {
		switch d := after[i] - before[i]; {
		case d == 0:
		case d == 1 && loop < 0:
			loop = i
		default:
			t.Fatalf("one connection changed the loops' counts from %v to %v", before, after)
		}
	}
	if loop < 0 {
		t.Fatalf("no loop counted the connection: counts %v", after)
	}
	return c, loop
}

// spread returns the smallest and largest count in n.
func spread(n []int64) (lo, hi int64) {
	lo, hi = n[0], n[0]
	for _, k := range n {
		lo, hi = min(lo, k), max(hi, k)
	}
	return lo, hi
}

// TestBalanceModes opens connections one after another, each kept open,
// and checks how each balance policy spread them over the loops:
//
//   - roundrobin hands connection i to loop (first + i) mod loops;
//   - leastconn hands each one to a loop with the fewest open, so the
//     counts never differ by more than one, and a loop that loses a
//     connection gets the next one;
//   - reuseport leaves the choice to the kernel, which picks a listener by
//     a hash of the 4-tuple (reuseport_select_sock in
//     net/core/sock_reuseport.c) and promises no spread at all. The
//     source ports differ, so with a hash that spreads evenly a given loop
//     misses all of 64 connections with probability (2/3)^64, about 5e-12
//     (some loop of the three: under 2e-11). The test asks only that
//     every loop got one.
func TestBalanceModes(t *testing.T) {
	const loops = 3
	tests := []struct {
		balance string
		conns   int
		// even: after every connection the loops' counts differ by at
		// most one.
		even  bool
		check func(t *testing.T, srv engine.Server, held []net.Conn, landed []int)
	}{
		{balance: engine.BalanceRoundRobin, conns: 4 * loops, even: true,
			check: func(t *testing.T, _ engine.Server, _ []net.Conn, landed []int) {
				for i, l := range landed {
					if want := (landed[0] + i) % loops; l != want {
						t.Fatalf("connection %d went to loop %d, want %d: landed %v", i, l, want, landed)
					}
				}
			}},
		{balance: engine.BalanceLeastConn, conns: 4 * loops, even: true,
			check: func(t *testing.T, srv engine.Server, held []net.Conn, landed []int) {
				// Free a place on a loop other than the one round
				// robin would pick next, and wait for the loop to
				// count it: netpoll takes the connection off the
				// loop's load before OnClose runs.
				k := (landed[0] + 1) % loops
				want := loopConns(srv)[k] - 1
				held[slices.Index(landed, k)].Close()
				enginetest.WaitFor(t, "the closed connection off its loop", func() bool { return loopConns(srv)[k] == want })
				counts := loopConns(srv)
				if _, l := dialHeld(t, srv); l != k {
					t.Errorf("with loop %d the least loaded (%v), the next connection went to loop %d", k, counts, l)
				}
			}},
		{balance: engine.BalanceReusePort, conns: 64,
			check: func(t *testing.T, srv engine.Server, _ []net.Conn, _ []int) {
				if lo, _ := spread(loopConns(srv)); lo == 0 {
					t.Errorf("a loop got none of 64 connections: counts %v", loopConns(srv))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.balance, func(t *testing.T) {
			srv := startEngine(t, engine.Config{Loops: loops, Balance: tt.balance, Frame: frame.Spec{Kind: frame.KindLine}})
			var held []net.Conn
			var landed []int
			for range tt.conns {
				c, l := dialHeld(t, srv)
				held, landed = append(held, c), append(landed, l)
				if lo, hi := spread(loopConns(srv)); tt.even && hi-lo > 1 {
					t.Fatalf("after %d connections the loops hold %v: uneven", len(held), loopConns(srv))
				}
			}
			if n := loopConns(srv); n[0]+n[1]+n[2] != int64(tt.conns) {
				t.Fatalf("loops hold %v, want %d in all", n, tt.conns)
			}
			tt.check(t, srv, held, landed)
			waitStats(t, srv, "a frame echoed per connection", func(st engine.Stats) bool {
				return st.Frames >= uint64(tt.conns) && st.Accepted >= uint64(tt.conns)
			})
		})
	}
}

func TestUDPAcrossLoops(t *testing.T) {
	srv := startEngine(t, engine.Config{Network: "udp", Loops: 3})
	for range 6 {
		echoOnce(t, "udp", srv, "datagram")
	}
	waitStats(t, srv, "6 datagrams of 8 bytes each way", func(st engine.Stats) bool {
		return st.Frames == 6 && st.BytesIn == 48 && st.BytesOut == 48
	})
}

// TestAcceptedSocketsInheritOptions checks what the package doc promises:
// options set on the listener reach every accepted socket without a
// setsockopt per connection.
func TestAcceptedSocketsInheritOptions(t *testing.T) {
	opts := sockopt.Options{KeepAlive: 30 * time.Second}
	srv := startEngine(t, engine.Config{Loops: 1, Sockopts: opts})
	if g := srv.Sockopts().Granted; !g.NoDelay || !g.KeepAlive {
		t.Fatalf("listener granted %+v, want TCP_NODELAY and SO_KEEPALIVE", g)
	}
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	fd := acceptedFD(t, srv.Addr().(*net.TCPAddr).Port, c.LocalAddr().(*net.TCPAddr).Port)
	g, err := sockopt.Read(fd)
	if err != nil {
		t.Fatal(err)
	}
	if !g.NoDelay || !g.KeepAlive {
		t.Fatalf("accepted socket has %+v, want TCP_NODELAY and SO_KEEPALIVE inherited", g)
	}
}

// acceptedFD finds, among this process's descriptors, the server side of
// the connection between the two ports.
func acceptedFD(t *testing.T, serverPort, clientPort int) int {
	t.Helper()
	for fd := 3; fd < 4096; fd++ {
		local, err := unix.Getsockname(fd)
		if err != nil {
			continue
		}
		peer, err := unix.Getpeername(fd)
		if err != nil {
			continue
		}
		l, ok1 := local.(*unix.SockaddrInet4)
		p, ok2 := peer.(*unix.SockaddrInet4)
		if ok1 && ok2 && l.Port == serverPort && p.Port == clientPort {
			return fd
		}
	}
	t.Fatal("accepted socket not found")
	return -1
}
