package server

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"
)

// start runs a server on a free loopback port for the rest of the test.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv
}

// peer is a raw connection to a server, for bytes no client library
// would send.
type peer struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// dial connects to srv; every read and write must finish within 10 s,
// which bounds a test that would otherwise hang on a server that never
// answers.
func dial(t *testing.T, srv *Server) *peer {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return &peer{t: t, conn: c, r: bufio.NewReader(c)}
}

// send writes b.
func (p *peer) send(b []byte) {
	p.t.Helper()
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

// line reads one reply line, CRLF included.
func (p *peer) line() string {
	p.t.Helper()
	s, err := p.r.ReadString('\n')
	if err != nil {
		p.t.Fatalf("reading a reply: %v (got %q)", err, s)
	}
	return s
}

// expectEOF reads until the server closes the connection and returns
// how many bytes came first.
func (p *peer) expectEOF() int {
	p.t.Helper()
	n := 0
	buf := make([]byte, 64<<10)
	for {
		k, err := p.r.Read(buf)
		n += k
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				p.t.Fatalf("the server did not close the connection (read %d bytes)", n)
			}
			return n
		}
	}
}
