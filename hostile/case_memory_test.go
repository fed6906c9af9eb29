//go:build linux

package hostile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/sockopt"
)

// tinyBuf is the SO_RCVBUF and SO_SNDBUF the partial-write case asks
// for; the kernel doubles it and enforces a floor (socket(7)).
const tinyBuf = 4 << 10

// dialTiny connects to addr with SO_RCVBUF set to tinyBuf before the
// handshake, so the window the client advertises stays small (tcp(7):
// the buffer must be set before connect to take effect on the window).
func dialTiny(t tb, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Timeout: patience, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, tinyBuf)
		})
		return errors.Join(err, serr)
	}}
	c, err := d.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// partialWriteCase has the server write a large echo through a tiny send
// buffer to a reader with a tiny receive buffer that reads a trickle at
// rate bytes per second: every write the server makes is partial, and
// the echo must still arrive whole (hash equal), nothing duplicated or
// skipped.
func partialWriteCase(size, rate int) func(t tb, x *env) {
	return func(t tb, x *env) {
		srv := start(t, x, engine.Config{Sockopts: sockopt.Options{SendBuf: tinyBuf}, WriteLimit: 16 << 10})
		c := dialTiny(t, srv.Addr().String())
		src := rand.NewChaCha8(seed32(newRand(t)))
		wrote := sendAndClose(c, src, size, false)
		h := sha256.New()
		buf := make([]byte, 1<<10)
		began := time.Now()
		total := 0
		var rerr error
		for {
			// Keep to rate: sleep while ahead of schedule. This shapes
			// the load; it synchronises nothing.
			if ahead := time.Duration(total)*time.Second/time.Duration(rate) - time.Since(began); ahead > 0 {
				time.Sleep(ahead)
			}
			c.SetReadDeadline(time.Now().Add(patience))
			n, err := c.Read(buf)
			h.Write(buf[:n])
			total += n
			if err != nil {
				rerr = err
				break
			}
		}
		w := <-wrote
		if w.err != nil {
			t.Fatalf("sending: %v", w.err)
		}
		if !errors.Is(rerr, io.EOF) {
			t.Errorf("echo ended with %v after %d of %d bytes, want EOF", rerr, total, w.n)
		}
		if sum := h.Sum(nil); total != w.n || !bytes.Equal(sum, w.sum) {
			t.Errorf("echo through partial writes: got %d bytes with SHA-256 %x, want %d bytes with %x", total, sum, w.n, w.sum)
		}
		if s := srv.Stats(); s.Errors.Backpressure == 0 {
			t.Errorf("server never found its send buffer full (Errors.Backpressure 0): the case did not force partial writes")
		}
	}
}

// Never-reading client sizes: the write limit the server runs with, what
// the client offers, and the heap growth tolerated beyond the limit for
// input buffers, the runtime and measurement noise.
const (
	neverWriteLimit = 256 << 10
	neverOffer      = 256 << 20
	neverSlack      = 8 << 20
)

// neverReadHeapCase has one client write up to hundreds of MiB without
// ever reading: the server must stop reading it, so its writes block and
// the test process's live heap grows by at most the write limit plus a
// small constant, and another client is served meanwhile.
func neverReadHeapCase(t tb, x *env) {
	srv := start(t, x, engine.Config{WriteLimit: neverWriteLimit})
	addr := srv.Addr().String()
	c := dial(t, addr)
	if err := echo(c, ping); err != nil {
		t.Fatalf("echo before the flood: %v", err)
	}
	before := liveHeap()
	sent, err := fillUntilBlocked(c, make([]byte, 64<<10), neverOffer, 500*time.Millisecond)
	if err != nil {
		t.Fatalf("after writing %d bytes: %v", sent, err)
	}
	growth := liveHeap() - before
	x.note(t, "client wrote %d MiB before blocking; live heap grew %d KiB", sent>>20, growth>>10)
	if sent >= neverOffer {
		t.Errorf("client wrote all %d bytes without reading: the server never stopped reading it", sent)
	}
	if growth > neverWriteLimit+neverSlack {
		t.Errorf("live heap grew %d bytes while a client sent %d bytes without reading; want at most the write limit %d plus %d",
			growth, sent, neverWriteLimit, neverSlack)
	}
	if err := echo(dial(t, addr), ping); err != nil {
		t.Errorf("another client while one never reads: %v", err)
	}
}

// neverReadRSSCase is neverReadHeapCase against the echo-tcp binary,
// measured by the server process's resident set size.
func neverReadRSSCase(t tb, x *env) {
	bin, _ := binaries(t)
	p := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--write-limit", fmt.Sprint(neverWriteLimit))
	c := dial(t, p.addr)
	if err := echo(c, ping); err != nil {
		t.Fatalf("echo before the flood: %v", err)
	}
	before := rss(p.pid)
	sent, err := fillUntilBlocked(c, make([]byte, 64<<10), neverOffer, 500*time.Millisecond)
	if err != nil {
		t.Fatalf("after writing %d bytes: %v", sent, err)
	}
	growth := rss(p.pid) - before
	x.note(t, "client wrote %d MiB before blocking; server RSS grew %d KiB", sent>>20, growth>>10)
	if sent >= neverOffer {
		t.Errorf("client wrote all %d bytes without reading: the server never stopped reading it", sent)
	}
	if limit := int64(neverWriteLimit + 2*neverSlack); growth > limit {
		t.Errorf("server RSS grew %d bytes while a client sent %d bytes without reading; want at most %d", growth, sent, limit)
	}
	if err := echo(dial(t, p.addr), ping); err != nil {
		t.Errorf("another client while one never reads: %v", err)
	}
}
