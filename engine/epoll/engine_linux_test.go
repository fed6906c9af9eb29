//go:build linux

package epoll

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/sockopt"
)

func startEngine(t *testing.T, cfg engine.Config) engine.Server {
	t.Helper()
	srv, err := Engine{}.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return srv
}

// waitStats polls the server's stats until cond holds: a client may see
// its echo a moment before the loop counts it.
func waitStats(t *testing.T, srv engine.Server, what string, cond func(engine.Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(srv.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("want %s; stats %+v", what, srv.Stats())
		}
		time.Sleep(time.Millisecond)
	}
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

func TestBalanceModes(t *testing.T) {
	for _, balance := range []string{engine.BalanceRoundRobin, engine.BalanceLeastConn, engine.BalanceReusePort} {
		t.Run(balance, func(t *testing.T) {
			srv := startEngine(t, engine.Config{Loops: 3, Balance: balance, Frame: frame.Spec{Kind: frame.KindLine}})
			for range 6 {
				echoOnce(t, "tcp", srv, "hello\n")
			}
			waitStats(t, srv, "6 frames over 6 connections", func(st engine.Stats) bool {
				return st.Frames == 6 && st.Accepted == 6
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
