//go:build linux

package netpoll

import (
	"bytes"
	"testing"
)

// TestStatsQueued checks Stats.Queued on each backend: it holds what a
// peer that does not read leaves queued, equal to the connection's
// OutboundBuffered, and falls back to zero both when the peer reads it
// all and when the connection is reset with output still queued.
func TestStatsQueued(t *testing.T) {
	for _, backend := range []Backend{BackendEpoll, BackendUring} {
		t.Run(backend.String(), func(t *testing.T) {
			if err := CheckBackend(backend); err != nil {
				t.Skip(err)
			}
			h := newTestHandler()
			conns := make(chan *Conn, 1)
			h.open = func(c *Conn) { conns <- c }
			s := startServer(t, h, Config{Loops: 1, Backend: backend, WriteLimit: 64 << 10})
			c := dialSmallWindow(t, s)
			sc := <-conns

			// Sent but not read: the echo backs up in the server.
			payload := bytes.Repeat([]byte("0123456789abcdef"), (8<<20)/16)
			go func() { _, _ = c.Write(payload) }()
			eventually(t, "a connection paused now", func() bool {
				st := s.Stats()
				return st.Backpressure > st.Resumed
			})
			// Both read on the loop, so no send lands between them.
			var held int
			var q int64
			onLoop(t, sc.Loop(), func() { held, q = sc.OutboundBuffered(), s.Stats().Queued })
			if q != int64(held) || held <= 0 {
				t.Fatalf("Stats.Queued %d with the one connection's OutboundBuffered %d, want them equal and above 0", q, held)
			}

			// Read back everything: nothing stays queued.
			if got := readFull(t, c, len(payload)); !bytes.Equal(got, payload) {
				t.Fatal("echo differs from what was sent")
			}
			eventually(t, "Queued back to 0 after the peer read it all", func() bool { return s.Stats().Queued == 0 })

			// Back up again, then reset: the closed connection's output
			// leaves the count.
			go func() { _, _ = c.Write(payload) }()
			eventually(t, "output queued again", func() bool { return s.Stats().Queued > 0 })
			_ = c.SetLinger(0)
			_ = c.Close()
			if err := h.nextClose(t); err == nil {
				t.Fatal("OnClose(nil) after a reset, want the reset")
			}
			if q := s.Stats().Queued; q != 0 {
				t.Fatalf("Stats.Queued %d after the only connection closed, want 0", q)
			}
		})
	}
}
