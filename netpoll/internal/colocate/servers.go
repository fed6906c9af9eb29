package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/netpoll"
)

// variant is one server configuration under test.
type variant struct {
	// name is how results name it: "syscall", "park", "park-locked",
	// "syscall-unlocked" or "net".
	name string
	// net serves with a goroutine per connection on Go's net package
	// instead of netpoll.
	net bool
	// bin, for a binary variant, is the folder holding its echo-tcp.
	bin  string
	wait netpoll.Wait
	lock bool
}

// variants are the configurations --variants may name. "syscall" is
// WaitSyscall with LockThreads, the settings of netpoll's default before
// WaitPark existed (its yield has changed since: yield_linux.go).
var variants = map[string]variant{
	"syscall":          {name: "syscall", wait: netpoll.WaitSyscall, lock: true},
	"syscall-unlocked": {name: "syscall-unlocked", wait: netpoll.WaitSyscall},
	"park":             {name: "park", wait: netpoll.WaitPark},
	"park-locked":      {name: "park-locked", wait: netpoll.WaitPark, lock: true},
	"net":              {name: "net", net: true},
}

// parseVariants looks up a comma-separated list of variant names.
func parseVariants(list string) ([]variant, error) {
	var vs []variant
	for _, name := range strings.Split(list, ",") {
		v, ok := variants[name]
		if !ok {
			return nil, fmt.Errorf("unknown variant %q (syscall, syscall-unlocked, park, park-locked, net)", name)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// rotate returns vs starting at element round mod len(vs), so that no
// variant always runs first.
func rotate(vs []variant, round int) []variant {
	k := round % len(vs)
	return append(append([]variant(nil), vs[k:]...), vs[:k]...)
}

// echoServer is a running echo server of some variant.
type echoServer interface {
	addr() string
	stats() netpoll.Stats
	close() error
}

// startEcho starts an echo server of variant v on a loopback port. Every
// accepted connection has TCP_NODELAY, as Go's net package gives its own.
func startEcho(v variant, loops int) (echoServer, error) {
	if v.net {
		return startNetEcho()
	}
	cfg := netpoll.Config{
		Loops:       loops,
		Wait:        v.wait,
		LockThreads: v.lock,
		// Accepted sockets inherit TCP_NODELAY from the listener (tcp(7)).
		Control: func(fd int) error { return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) },
	}
	s, err := netpoll.Listen("tcp", "127.0.0.1:0", echo{}, cfg)
	if err != nil {
		return nil, err
	}
	return pollServer{s}, nil
}

// echo is the netpoll handler: every byte goes straight back.
type echo struct{}

func (echo) OnOpen(*netpoll.Conn)         {}
func (echo) OnClose(*netpoll.Conn, error) {}
func (echo) OnData(c *netpoll.Conn, b []byte) int {
	_, _ = c.Write(b)
	return len(b)
}

type pollServer struct{ s *netpoll.Server }

func (p pollServer) addr() string         { return p.s.Addr().String() }
func (p pollServer) stats() netpoll.Stats { return p.s.Stats() }
func (p pollServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.s.Shutdown(ctx)
}

// netServer serves each connection with a goroutine that reads and writes
// through Go's net package, as rawnet's std engine does.
type netServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func startNetEcho() (*netServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &netServer{ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *netServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *netServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *netServer) addr() string         { return s.ln.Addr().String() }
func (s *netServer) stats() netpoll.Stats { return netpoll.Stats{} }

func (s *netServer) close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
		err = nil
	}
	return err
}
