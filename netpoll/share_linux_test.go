//go:build linux

package netpoll

import (
	"bytes"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestReadShare checks that a connection ready in the same round as
// another is read in turns of at most Config.ReadShare, and, without it,
// in one read of the whole read buffer's worth.
func TestReadShare(t *testing.T) {
	const share, each = 16 << 10, 64 << 10
	for _, tc := range []struct {
		name  string
		share int
	}{{"shared", share}, {"unset", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			reads := readsOfTwo(t, tc.share, each)
			for _, who := range []byte("AB") {
				got := reads[who]
				if len(got) == 0 {
					t.Fatalf("%c: no reads", who)
				}
				if tc.share > 0 && slices.Max(got) > tc.share {
					t.Errorf("%c read in turns of %v bytes, want at most %d each", who, got, tc.share)
				}
				if tc.share == 0 && got[0] <= share {
					t.Errorf("%c's first turn read %d bytes with no ReadShare, want more than %d", who, got[0], share)
				}
			}
		})
	}
}

// readsOfTwo has two connections A and B send each bytes while a third
// holds the only loop, then lets the loop go and returns the size of
// every read of A and of B, by the byte they sent.
func readsOfTwo(t *testing.T, share, each int) map[byte][]int {
	t.Helper()
	hold, held := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	var mu sync.Mutex
	reads := map[byte][]int{}
	total := 0
	h := newTestHandler()
	h.data = func(c *Conn, b []byte) int {
		if bytes.Equal(b, []byte("C")) {
			close(held)
			<-hold
			return 1
		}
		mu.Lock()
		defer mu.Unlock()
		reads[b[0]] = append(reads[b[0]], len(b))
		if total += len(b); total == 2*each {
			close(done)
		}
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 1, ReadShare: share})
	dialBig := func() net.Conn {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		// A send buffer larger than the message lets Write hand all of
		// it to the kernel, and loopback to the server's socket, at once.
		if err := c.(*net.TCPConn).SetWriteBuffer(4 * each); err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b, c := dialBig(), dialBig(), dialBig()
	if _, err := c.Write([]byte("C")); err != nil {
		t.Fatal(err)
	}
	<-held
	for _, p := range []struct {
		conn net.Conn
		fill byte
	}{{a, 'A'}, {b, 'B'}} {
		if _, err := p.conn.Write(bytes.Repeat([]byte{p.fill}, each)); err != nil {
			t.Fatal(err)
		}
	}
	close(hold)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not read both messages within 10s")
	}
	mu.Lock()
	defer mu.Unlock()
	return reads
}
