//go:build linux

package relay

import (
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/rawnet/rawnet/netpoll"
)

// streamSize is what each side sends through the relay.
const streamSize = 16 << 20

// sendRandom writes n pseudo-random bytes in chunks of random sizes, from
// one byte to 256 KiB, then shuts down its write side, and returns their
// SHA-256.
func sendRandom(c *net.TCPConn, n int, seed uint64) ([32]byte, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for sent := 0; sent < n; {
		size := 1 + rng.IntN(len(buf))
		if rng.IntN(4) == 0 {
			size = 1 + rng.IntN(100) // now and then a tiny segment
		}
		size = min(size, n-sent)
		chunk := buf[:size]
		for i := range chunk {
			chunk[i] = byte(rng.Uint32())
		}
		h.Write(chunk)
		if _, err := c.Write(chunk); err != nil {
			return [32]byte{}, err
		}
		sent += size
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum, c.CloseWrite()
}

// receiveAll reads until EOF and returns the byte count and SHA-256.
func receiveAll(c net.Conn) (int64, [32]byte, error) {
	h := sha256.New()
	n, err := io.Copy(h, c)
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return n, sum, err
}

// TestIntegrity sends 16 MiB each way at once, cut into random segments,
// through each data path, with roomy and with tiny receive windows: both
// sides receive exactly what the other sent, in order, then end-of-file,
// and the pair ends as done.
func TestIntegrity(t *testing.T) {
	for _, small := range []bool{false, true} {
		for _, path := range paths {
			name := path.name
			if small {
				name += "/small-windows" // 4 KiB receive buffers at both ends
			}
			t.Run(name, func(t *testing.T) { integrity(t, Config{Path: path.path}, small) })
		}
	}
}

// TestIntegrityHeldWaits is TestIntegrity on the default path with the
// loops relay-tcp runs: asleep in epoll_wait, their short waits held as
// Go code (Config.HoldShortWaits), which every wake-up, deadline and
// backpressure resumption must get through.
func TestIntegrityHeldWaits(t *testing.T) {
	for _, small := range []bool{false, true} {
		name := "roomy-windows"
		if small {
			name = "small-windows"
		}
		t.Run(name, func(t *testing.T) {
			integrity(t, Config{Path: PathAuto, Wait: netpoll.WaitSyscall, HoldShortWaits: true}, small)
		})
	}
}

// integrity runs TestIntegrity with cfg (its Path, Wait and
// HoldShortWaits), with small windows or not.
func integrity(t *testing.T, cfg Config, small bool) {
	path := cfg.Path
	var lc net.ListenConfig
	var d net.Dialer
	if small {
		// The relay's writes then fill the peers' windows and it
		// holds bytes, the path a fast loopback rarely takes.
		lc.Control, d.Control = smallWindow, smallWindow
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	b, fromBackend := exchangeBackend(t, lc, streamSize, seed+1)
	r, _ := startRelay(t, Config{Path: path, Wait: cfg.Wait, HoldShortWaits: cfg.HoldShortWaits}, b.addr())
	if r.Path() != path {
		t.Fatalf("Path() = %v, want %v", r.Path(), path)
	}
	client, err := exchange(r, d, streamSize, seed)
	if err != nil {
		t.Fatal(err)
	}
	checkExchanged(t, []exchanged{client}, []exchanged{<-fromBackend}, streamSize)
	eventually(t, "the pair to end", func() bool { return r.Stats().Closed.Done == 1 })
	s := r.Stats()
	if s.BytesUp != streamSize || s.BytesDown != streamSize {
		t.Errorf("counted %d up, %d down; want %d each", s.BytesUp, s.BytesDown, streamSize)
	}
	switch {
	case s.Spliced+s.Copied != 2*streamSize:
		t.Errorf("Spliced %d + Copied %d, want %d", s.Spliced, s.Copied, 2*streamSize)
	case path == PathSplice && s.Copied != 0, path == PathCopy && s.Spliced != 0:
		t.Errorf("the %v path spliced %d and copied %d", path, s.Spliced, s.Copied)
	case path == PathAuto && !small && s.Spliced == 0:
		t.Errorf("the auto path never spliced bulk transfers (copied %d)", s.Copied)
	}
	if s.Held != 0 || s.Active != 0 {
		t.Errorf("after the pair ended: held %d, active %d", s.Held, s.Active)
	}
}

// exchanged is what one end of a pair sent and received.
type exchanged struct {
	sent, got [32]byte // SHA-256
	n         int64    // bytes received
	err       error
}

// exchangeBackend starts an upstream, listening with lc, that sends
// each connection n pseudo-random bytes from seed while it reads
// everything the connection sends, and reports each connection's
// exchange on the returned channel.
func exchangeBackend(t *testing.T, lc net.ListenConfig, n int, seed uint64) (*backend, <-chan exchanged) {
	t.Helper()
	results := make(chan exchanged, 16)
	b := startBackendWith(t, lc, func(c *net.TCPConn) { results <- exchangeOn(c, n, seed) })
	return b, results
}

// exchange dials r with d and exchanges n bytes from seed with the
// upstream.
func exchange(r *Relay, d net.Dialer, n int, seed uint64) (exchanged, error) {
	d.Timeout = 5 * time.Second
	c, err := d.Dial("tcp", r.Addr().String())
	if err != nil {
		return exchanged{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return exchangeOn(c.(*net.TCPConn), n, seed), nil
}

// exchangeOn sends n pseudo-random bytes from seed on c, then its FIN,
// while it reads c to end-of-file.
func exchangeOn(c *net.TCPConn, n int, seed uint64) exchanged {
	sentc := make(chan [32]byte, 1)
	errc := make(chan error, 1)
	go func() {
		s, err := sendRandom(c, n, seed)
		sentc <- s
		errc <- err
	}()
	got, sum, err := receiveAll(c)
	err = errors.Join(err, <-errc)
	return exchanged{sent: <-sentc, got: sum, n: got, err: err}
}

// checkExchanged checks that every client received exactly n bytes that
// one upstream connection sent, and every upstream connection exactly n
// bytes that one client sent, each client matched with one connection.
func checkExchanged(t *testing.T, clients, upstreams []exchanged, n int64) {
	t.Helper()
	if len(clients) != len(upstreams) {
		t.Fatalf("%d clients, %d upstream connections", len(clients), len(upstreams))
	}
	matched := make([]bool, len(upstreams))
	for i, c := range clients {
		if c.err != nil {
			t.Fatalf("client %d: %v", i, c.err)
		}
		found := false
		for j, u := range upstreams {
			if u.err != nil {
				t.Fatalf("upstream connection %d: %v", j, u.err)
			}
			if !matched[j] && u.got == c.sent {
				matched[j], found = true, true
				if u.n != n {
					t.Errorf("upstream connection %d got %d bytes, want %d", j, u.n, n)
				}
				if c.n != n || c.got != u.sent {
					t.Errorf("client %d got %d bytes, sha256 %x; its upstream connection sent %d, %x", i, c.n, c.got, n, u.sent)
				}
				break
			}
		}
		if !found {
			t.Errorf("no upstream connection got what client %d sent (%x)", i, c.sent)
		}
	}
}
