//go:build linux

package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net"
	"testing"
	"time"
)

// TestShutdownDeliversHeld: bytes the relay has accepted are not lost in
// Shutdown's drain. The upstream sends more than a pipe or buffer holds to
// a client that does not read, so the pair holds bytes and both of its
// sides fall quiet; the client starts reading only once the drain has
// run several times DrainQuiet, and must still get every byte, in order,
// and then the FIN, with the pair counted as shut down.
func TestShutdownDeliversHeld(t *testing.T) {
	const (
		quiet = 50 * time.Millisecond
		size  = 4 << 20
	)
	payload := make([]byte, size)
	_, _ = rand.Read(payload)
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			sent := make(chan error, 1)
			b := startBackend(t, func(c *net.TCPConn) {
				_, err := c.Write(payload)
				sent <- err
				_ = c.CloseWrite()
				_, _ = io.Copy(io.Discard, c)
			})
			r, err := Start(Config{
				Addr: "127.0.0.1:0", Upstreams: []string{b.addr()}, Loops: 1,
				Path: path.path, DrainQuiet: quiet,
			})
			if err != nil {
				t.Fatal(err)
			}
			c := dialWith(t, r, net.Dialer{Control: smallWindow})
			// The relay holds bytes for the client once it has taken
			// more than the client's socket and the upstream's send
			// buffer can absorb.
			eventually(t, "the relay to hold bytes for the client", func() bool {
				return r.Stats().Held > 0
			})
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				shut <- r.Shutdown(ctx)
			}()
			// Wait until the pair is ended by the drain or, where it
			// is kept, for ten quiet periods: long past the point where
			// a quiet pair would have been closed.
			deadline := time.Now().Add(10 * quiet)
			for time.Now().Before(deadline) && r.Stats().Closed.Shutdown == 0 {
				time.Sleep(time.Millisecond)
			}
			h := sha256.New()
			n, err := io.Copy(h, c)
			if err != nil || n != size || !bytes.Equal(h.Sum(nil), sha256Of(payload)) {
				t.Fatalf("client read %d of %d bytes (%v), digest match %v",
					n, size, err, bytes.Equal(h.Sum(nil), sha256Of(payload)))
			}
			if err := <-sent; err != nil {
				t.Fatalf("upstream write: %v", err)
			}
			_ = c.Close()
			if err := <-shut; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if s := r.Stats(); s.Held != 0 || s.Active != 0 {
				t.Fatalf("after Shutdown: held %d, active %d", s.Held, s.Active)
			}
		})
	}
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
