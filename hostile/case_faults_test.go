//go:build linux

package hostile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine/enginetest"
)

// Shutdown-under-faults shape: the drain the server is given, what each
// well-behaved client sends, and how much of its echo it waits for
// before the signal.
const (
	faultDrain  = 3 * time.Second
	faultSize   = 256 << 10
	faultBefore = 16 << 10
)

// faultClient is a client that sends faultSize bytes in length frames
// and reads its echo concurrently until the server ends it.
type faultClient struct {
	name    string
	c       net.Conn
	started chan struct{} // closed once faultBefore bytes of echo arrived
	done    chan error    // the outcome: nil when the echo was byte-exact and ended with EOF
}

// runFaultClient starts a client on c; with halfClose it shuts down its
// write side after sending. Clients behind toxiproxy do not: toxiproxy
// closes both directions of the upstream connection when the client's
// side ends (link.go, ToxicLink.write), which would cut the echo short.
func runFaultClient(name string, c net.Conn, rng *rand.Rand, halfClose bool) *faultClient {
	fc := &faultClient{name: name, c: c, started: make(chan struct{}), done: make(chan error, 1)}
	src := rand.NewChaCha8(seed32(rng))
	type result struct {
		sum []byte
		n   int
		err error
	}
	wrote := make(chan result, 1)
	go func() {
		sum, n, err := send(c, src, faultSize, true)
		if err == nil && halfClose {
			err = closeWrite(c)
		}
		wrote <- result{sum, n, err}
	}()
	go func() {
		h := sha256.New()
		first := make([]byte, faultBefore)
		c.SetReadDeadline(time.Now().Add(patience))
		if _, err := io.ReadFull(c, first); err != nil {
			close(fc.started)
			fc.done <- fmt.Errorf("%s: first %d bytes of the echo: %w", name, faultBefore, err)
			return
		}
		h.Write(first)
		close(fc.started)
		sum, n, rerr := hashReaderInto(c, h, faultDrain+patience)
		w := <-wrote
		switch {
		case w.err != nil:
			fc.done <- fmt.Errorf("%s: sending: %w", name, w.err)
		case !errors.Is(rerr, io.EOF):
			fc.done <- fmt.Errorf("%s: echo ended with %v after %d of %d bytes, want EOF", name, rerr, faultBefore+n, w.n)
		case faultBefore+n != w.n || !bytes.Equal(sum, w.sum):
			fc.done <- fmt.Errorf("%s: echo of %d bytes not byte-exact: got %d bytes", name, w.n, faultBefore+n)
		default:
			fc.done <- nil
		}
	}()
	return fc
}

// closeWrite half-closes c if it can.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// shutdownUnderFaults signals p while the good clients' echoes are in
// flight and a stuck client cannot drain: every good client's echo must
// arrive byte-exact and end with EOF, the stuck client must be closed,
// and the process must exit 0 with totals within the drain plus
// patience.
func shutdownUnderFaults(t tb, x *env, p *proc, good []*faultClient, stuck net.Conn) {
	t.Helper()
	for _, fc := range good {
		select {
		case <-fc.started:
		case <-time.After(patience):
			t.Fatalf("%s: no echo within %v", fc.name, patience)
		}
	}
	took, totals := p.terminate(t, faultDrain+patience)
	var wg sync.WaitGroup
	for _, fc := range good {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := <-fc.done; err != nil {
				t.Errorf("after SIGTERM: %v", err)
			}
		}()
	}
	wg.Wait()
	if stuck != nil {
		if n, err := readToEnd(stuck, patience); !enginetest.IsClosed(err) {
			t.Errorf("stuck client after the drain: %d bytes then %v, want it closed", n, err)
		}
	}
	x.note(t, "exit %v after SIGTERM (drain %v)", took.Round(10*time.Millisecond), faultDrain)
	if totals == nil {
		t.Errorf("no totals line")
	}
}

// toxiproxyCase puts toxiproxy between clients and the echo-tcp binary:
// one client behind latency with jitter both ways, one behind a
// bandwidth limit on the echo, one whose input is sliced into small
// delayed pieces, one that toxiproxy resets mid-stream (reset_peer), and
// one connected directly that stops reading. SIGTERM must drain the first
// three byte-exact, close the stuck one after --shutdown-timeout and exit
// 0; the reset one must not disturb anything.
func toxiproxyCase(t tb, x *env) {
	bin, _ := binaries(t)
	p := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--framing", "length", "--shutdown-timeout", faultDrain.String(), "--write-limit", "256KiB")
	rng := newRand(t)
	latency := newFaultProxy(t, p.addr,
		toxic{"latency", "upstream", `{"latency":20,"jitter":5}`},
		toxic{"latency", "downstream", `{"latency":20,"jitter":5}`})
	bandwidth := newFaultProxy(t, p.addr, toxic{"bandwidth", "downstream", `{"rate":512}`})
	slicer := newFaultProxy(t, p.addr, toxic{"slicer", "upstream", `{"average_size":64,"size_variation":48,"delay":20}`})
	reset := newFaultProxy(t, p.addr, toxic{"reset_peer", "upstream", `{"timeout":100}`})

	stuck := dial(t, p.addr)
	if sent, err := fillUntilBlocked(stuck, lengthFrame(make([]byte, 60<<10)), 64<<20, 500*time.Millisecond); err != nil {
		t.Fatalf("filling the stuck client after %d bytes: %v", sent, err)
	}
	rc := dial(t, reset)
	rc.SetWriteDeadline(time.Now().Add(patience))
	rc.Write(lengthFrame(make([]byte, 1000)))
	good := []*faultClient{
		runFaultClient("latency", dial(t, latency), rng, false),
		runFaultClient("bandwidth", dial(t, bandwidth), rng, false),
		runFaultClient("slicer", dial(t, slicer), rng, false),
	}
	shutdownUnderFaults(t, x, p, good, stuck)
}

// netnsCase runs the echo-tcp binary inside a network namespace the case
// creates, reached over a veth pair whose both ends are shaped with a
// token bucket filter to a few Mbit/s: two clients on the host send
// through the slow link, a third stops reading, and SIGTERM must drain
// the first two byte-exact and close the third after --shutdown-timeout.
func netnsCase(t tb, x *env) {
	bin, _ := binaries(t)
	ns := newNetns(t)
	_, nsIP, hostDev, nsDev := ns.veth(t)
	ns.shape(t, hostDev, false, "8mbit")
	ns.shape(t, nsDev, true, "8mbit")
	p := startCmd(t, ns.command(bin, "--engine", x.name, "--addr", nsIP+":0", "--framing", "length",
		"--shutdown-timeout", faultDrain.String(), "--write-limit", "256KiB"))
	rng := newRand(t)
	stuck := dial(t, p.addr)
	if sent, err := fillUntilBlocked(stuck, lengthFrame(make([]byte, 60<<10)), 4<<20, time.Second); err != nil {
		t.Fatalf("filling the stuck client after %d bytes: %v", sent, err)
	}
	good := []*faultClient{
		runFaultClient("veth-1", dial(t, p.addr), rng, true),
		runFaultClient("veth-2", dial(t, p.addr), rng, false),
	}
	shutdownUnderFaults(t, x, p, good, stuck)
}
