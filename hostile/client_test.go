//go:build linux

package hostile

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
)

// ping is a small raw frame for checking that a connection is served.
var ping = []byte("ping\n")

// start starts x's engine in the test process with cfg, logging warnings
// to t, and shuts it down when the case ends.
func start(t tb, x *env, cfg engine.Config) engine.Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	srv, err := x.eng.Start(cfg)
	if err != nil {
		t.Fatalf("%s: Start: %v", x.name, err)
	}
	t.Cleanup(func() { stop(t, srv) })
	return srv
}

// stop shuts srv down, giving connections patience to drain.
func stop(t tb, srv engine.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	srv.Shutdown(ctx)
	select {
	case <-srv.Done():
	case <-time.After(patience):
		t.Errorf("Done not closed %v after Shutdown returned", patience)
	}
}

// testLogger returns a logger that forwards warnings to t until the case
// ends, so a server goroutine that outlives it cannot log into a finished
// test, and stops forwarding after a few hundred lines so that a storm of
// failures does not flood the log.
func testLogger(t tb) *slog.Logger {
	w := &tbWriter{t: t, left: 200}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// tbWriter forwards log lines to t.Logf until closed or out of lines.
type tbWriter struct {
	mu     sync.Mutex
	t      tb
	left   int
	closed bool
}

// Write logs p as one line.
func (w *tbWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed && w.left > 0 {
		w.left--
		w.t.Logf("server: %s", strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// close stops forwarding.
func (w *tbWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// dial connects to addr and closes the connection when the case ends.
func dial(t tb, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// echo writes msg on c and checks that exactly msg comes back.
func echo(c net.Conn, msg []byte) error {
	c.SetWriteDeadline(time.Now().Add(patience))
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("write %d bytes: %w", len(msg), err)
	}
	return expect(c, msg)
}

// expect reads len(want) bytes from c, each read waiting up to patience,
// and compares them with want.
func expect(c net.Conn, want []byte) error { return enginetest.Expect(c, want, patience) }

// readToEnd reads c until an error, each read waiting up to wait, and
// returns how many bytes arrived and the error.
func readToEnd(c net.Conn, wait time.Duration) (int, error) {
	buf := make([]byte, 64<<10)
	total := 0
	for {
		c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		total += n
		if err != nil {
			return total, err
		}
	}
}

// lengthFrame returns payload behind a 4-byte big-endian length header.
func lengthFrame(payload []byte) []byte {
	f := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(f, uint32(len(payload)))
	copy(f[4:], payload)
	return f
}

// newRand returns a generator seeded from RAWNET_HOSTILE_SEED or the
// clock, and logs the seed if the case fails.
func newRand(t tb) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("RAWNET_HOSTILE_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("RAWNET_HOSTILE_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random seed: RAWNET_HOSTILE_SEED=%d", seed)
		}
	})
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// seed32 draws a ChaCha8 seed from rng.
func seed32(rng *rand.Rand) [32]byte {
	var s [32]byte
	for i := 0; i < len(s); i += 8 {
		binary.LittleEndian.PutUint64(s[i:], rng.Uint64())
	}
	return s
}

// hashReader reads c to its end, each read waiting up to wait, and
// returns the SHA-256 of what arrived, its length and how reading ended.
func hashReader(c net.Conn, wait time.Duration) ([]byte, int, error) {
	return hashReaderInto(c, sha256.New(), wait)
}

// hashReaderInto reads c to its end into h, each read waiting up to
// wait, and returns the sum, the bytes read and how reading ended.
func hashReaderInto(c net.Conn, h hash.Hash, wait time.Duration) ([]byte, int, error) {
	buf := make([]byte, 64<<10)
	total := 0
	for {
		c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		h.Write(buf[:n])
		total += n
		if err != nil {
			return h.Sum(nil), total, err
		}
	}
}

// lingerReset closes c with SO_LINGER 0, which sends RST instead of FIN
// and discards unsent data (socket(7), SO_LINGER).
func lingerReset(c *net.TCPConn) error {
	if err := c.SetLinger(0); err != nil {
		return err
	}
	return c.Close()
}

// liveHeap returns the bytes of live heap objects after two collections:
// a sync.Pool keeps its objects through one (sync.Pool's victim cache).
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// totalAlloc returns the bytes allocated on the heap so far, freed or not.
func totalAlloc() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.TotalAlloc)
}
