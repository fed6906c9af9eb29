package bench

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rawnet/rawnet/frame"
)

// tamper decides what a test server echoes for frame i: the frame itself,
// a changed copy, or nil to drop it.
type tamper func(i int, f []byte) []byte

// testServer is a small net-based echo server that splits the stream into
// frames with the real codecs, so a test can corrupt or drop one frame.
type testServer struct {
	addr   string
	active atomic.Int64
	ln     net.Listener
	pc     net.PacketConn
	wg     sync.WaitGroup
	accept sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

// startTCP serves framed echo on a free loopback port until the test ends.
func startTCP(t *testing.T, spec frame.Spec, tp tamper) *testServer {
	t.Helper()
	codec, err := frame.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	s.accept.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.active.Add(1)
			s.wg.Go(func() {
				defer s.active.Add(-1)
				defer c.Close()
				s.serve(c, codec, tp)
			})
		}
	})
	t.Cleanup(s.stop)
	return s
}

// serve echoes one connection frame by frame.
func (s *testServer) serve(c net.Conn, codec frame.Codec, tp tamper) {
	buf := make([]byte, 0, 2*codec.Max())
	tmp := make([]byte, 64<<10)
	i := 0
	for {
		n, err := c.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		var out []byte
		for len(buf) > 0 {
			k, err := codec.Next(buf)
			if err != nil {
				return
			}
			if k == 0 {
				break
			}
			f := buf[:k]
			if tp != nil {
				f = tp(i, append([]byte(nil), f...))
			}
			i++
			out = append(out, f...)
			buf = buf[k:]
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// startUDP serves datagram echo on a free loopback port.
func startUDP(t *testing.T, tp tamper) *testServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{addr: pc.LocalAddr().String(), pc: pc}
	s.wg.Go(func() {
		buf := make([]byte, 65536)
		for i := 0; ; i++ {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			d := buf[:n]
			if tp != nil {
				if d = tp(i, append([]byte(nil), d...)); d == nil {
					continue
				}
			}
			if _, err := pc.WriteTo(d, from); err != nil {
				return
			}
		}
	})
	t.Cleanup(s.stop)
	return s
}

// stop closes the listener and every connection and waits for the
// goroutines.
func (s *testServer) stop() {
	if s.ln != nil {
		s.ln.Close()
		s.accept.Wait()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	}
	if s.pc != nil {
		s.pc.Close()
	}
	s.wg.Wait()
}

// closeOne closes one of the server's connections, any one, and leaves the
// others open. It reports whether there was one to close.
func (s *testServer) closeOne() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
		delete(s.conns, c)
		return true
	}
	return false
}

// flipAt returns a tamper that changes byte off of frame n.
func flipAt(n, off int) tamper {
	return func(i int, f []byte) []byte {
		if i == n {
			f[min(off, len(f)-1)] ^= 0x01
		}
		return f
	}
}

// dropAt returns a tamper that drops frame n.
func dropAt(n int) tamper {
	return func(i int, f []byte) []byte {
		if i == n {
			return nil
		}
		return f
	}
}

// isAny reports whether err matches one of targets.
func isAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
