//go:build linux

package relay

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestIdleTimeout: a pair that moves nothing is closed at
// Config.IdleTimeout and counted; a pair whose bytes flow one way only,
// into a client that keeps up and so never makes its side readable or
// asks to wait for it, stays open past several timeouts.
func TestIdleTimeout(t *testing.T) {
	const idle = 200 * time.Millisecond
	t.Run("quiet", func(t *testing.T) {
		b := startBackend(t, func(c *net.TCPConn) { _, _ = io.Copy(io.Discard, c) })
		r, _ := startRelay(t, Config{IdleTimeout: idle}, b.addr())
		c := dial(t, r)
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("quiet client: %v", err)
		}
		// The side that timed out is closed before its pair is counted.
		eventually(t, "the idle close counted", func() bool { return r.Stats().Closed.IdleTimeout == 1 })
	})
	t.Run("one-way", func(t *testing.T) {
		const chunks = 20 // 20 x 50 ms: five timeouts long
		b := startBackend(t, func(c *net.TCPConn) {
			tick := time.NewTicker(idle / 4)
			defer tick.Stop()
			buf := make([]byte, 4096)
			for range chunks {
				<-tick.C // pacing, so the stream outlasts the timeout
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
			_ = c.CloseWrite()
			_, _ = io.Copy(io.Discard, c)
		})
		r, _ := startRelay(t, Config{IdleTimeout: idle}, b.addr())
		c := dial(t, r)
		n, err := io.Copy(io.Discard, c)
		if err != nil || n != chunks*4096 {
			t.Fatalf("download: %d bytes, %v; want %d", n, err, chunks*4096)
		}
		if s := r.Stats(); s.Closed.IdleTimeout != 0 {
			t.Fatalf("a flowing pair timed out: %+v", s.Closed)
		}
	})
}
