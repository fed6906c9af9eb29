//go:build linux

package hostile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/frame"
)

// allocSlack is how much the test process may allocate while a peer
// declares a frame far bigger: the codec must never allocate the size a
// peer chose.
const allocSlack = 16 << 20

// hugeLengthCase sends length headers declaring 0xFFFFFFFF, 0x80000000
// and one byte over the limit (and 2^62 on an 8-byte header) after a
// valid frame: the valid frame is echoed, the connection is closed and
// counted as a bad frame, and the process allocates nowhere near the
// declared size.
func hugeLengthCase(t tb, x *env) {
	const limit = frame.DefaultMax
	tests := []struct {
		name   string
		bytes  int
		header uint64
	}{
		{name: "0xFFFFFFFF", bytes: 4, header: 0xFFFFFFFF},
		{name: "0x80000000", bytes: 4, header: 0x80000000},
		{name: "limit+1", bytes: 4, header: limit - 4 + 1},
		{name: "2^62 in 8 bytes", bytes: 8, header: 1 << 62},
	}
	for _, tt := range tests {
		srv := start(t, x, engine.Config{Frame: frame.Spec{Kind: frame.KindLength, LengthBytes: tt.bytes, Max: limit}})
		c := dial(t, srv.Addr().String())
		good := make([]byte, tt.bytes+5)
		putHeader(good, tt.bytes, 5)
		copy(good[tt.bytes:], "hello")
		bad := make([]byte, tt.bytes+1024)
		putHeader(bad, tt.bytes, tt.header)
		before := totalAlloc()
		c.SetWriteDeadline(time.Now().Add(patience))
		if _, err := c.Write(append(good, bad...)); err != nil {
			t.Fatalf("%s: write: %v", tt.name, err)
		}
		if err := expect(c, good); err != nil {
			t.Errorf("%s: the valid frame before the bad header: %v", tt.name, err)
		}
		if n, err := readToEnd(c, patience); !enginetest.IsClosed(err) {
			t.Errorf("%s: after the bad header: %d bytes then %v, want the connection closed", tt.name, n, err)
		}
		if grew := totalAlloc() - before; grew > allocSlack {
			t.Errorf("%s: the process allocated %d bytes after a header declaring %d", tt.name, grew, tt.header)
		}
		waitFor(t, tt.name+": Errors.Frame not counted", func() bool { return srv.Stats().Errors.Frame >= 1 })
	}
}

// putHeader writes v as a big-endian header of n bytes at the start of b.
func putHeader(b []byte, n int, v uint64) {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], v)
	copy(b[:n], h[8-n:])
}

// lineFloodSize is what the line flood offers without a newline.
const lineFloodSize = 100 << 20

// lineFloodCase sends 100 MiB without a newline to a line-framed server
// with the default limit: the server ends the echo stream once the line
// passes the limit, with nothing of the line echoed, counts a bad frame,
// allocates a bounded amount, and releases the connection once the
// client stops sending. Whether it resets the connection at once or
// discards input for a bounded linger after its FIN is the engine's
// choice; the note records how much the client got through.
func lineFloodCase(t tb, x *env) {
	srv := start(t, x, engine.Config{Frame: frame.Spec{Kind: frame.KindLine}})
	c := dial(t, srv.Addr().String())
	chunk := bytes.Repeat([]byte{'x'}, 64<<10)
	before := totalAlloc()
	sent := 0
	var werr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for sent < lineFloodSize {
			c.SetWriteDeadline(time.Now().Add(patience))
			n, err := c.Write(chunk)
			sent += n
			if err != nil {
				werr = err
				return
			}
		}
	}()
	n, rerr := readToEnd(c, patience)
	wg.Wait()
	c.Close()
	if !enginetest.IsClosed(rerr) || n != 0 {
		t.Errorf("reading while sending a line with no end: %d bytes then %v, want the connection closed", n, rerr)
	}
	if enginetest.IsTimeout(werr) {
		t.Errorf("sending the line stalled after %d bytes: the server stopped reading but did not close", sent)
	}
	grew := totalAlloc() - before
	x.note(t, "client got %d MiB through before the server closed", sent>>20)
	if grew > allocSlack {
		t.Errorf("the process allocated %d bytes while a client sent a %d-byte line", grew, sent)
	}
	waitFor(t, "Errors.Frame not counted", func() bool { return srv.Stats().Errors.Frame >= 1 })
	waitFor(t, "connection still active after the client closed", func() bool { return srv.Stats().Active == 0 })
}

// fixedTailCase sends ten 64-byte fixed frames and 30 bytes of an
// eleventh: the ten come back, the partial one never does, and after FIN
// the stream ends cleanly with nothing more.
func fixedTailCase(t tb, x *env) {
	const size, frames, tail = 64, 10, 30
	srv := start(t, x, engine.Config{Frame: frame.Spec{Kind: frame.KindFixed, FixedSize: size}})
	c := dial(t, srv.Addr().String())
	data := make([]byte, size*frames+tail)
	for i := range data {
		data[i] = byte(i * 7)
	}
	c.SetWriteDeadline(time.Now().Add(patience))
	if _, err := c.Write(data); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := expect(c, data[:size*frames]); err != nil {
		t.Fatalf("echo of %d whole frames: %v", frames, err)
	}
	c.SetReadDeadline(time.Now().Add(quiet))
	if n, err := c.Read(make([]byte, size)); n > 0 || !enginetest.IsTimeout(err) {
		t.Errorf("partial frame: %d bytes came back (%v), want none", n, err)
	}
	c.CloseWrite()
	if n, err := readToEnd(c, patience); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after FIN with a partial frame buffered: %d bytes then %v, want EOF", n, err)
	}
}

// Global in-flight budget shape: connections, each declaring a frame just
// under the limit.
const (
	budgetConns = 32
	budgetMax   = 4 << 20
)

// inflightBudgetCase opens many connections that each declare a frame
// just under a large limit, send all but its last bytes, then trickle. A
// server that buffers every partial frame holds connections x limit; a
// global in-flight budget holds it to a fraction: the live heap may grow
// by at most a quarter of what was declared, plus 128 KiB per connection.
// A small frame on another connection is still served.
func inflightBudgetCase(t tb, x *env) {
	srv := start(t, x, engine.Config{Frame: frame.Spec{Kind: frame.KindLength, LengthBytes: 4, Max: budgetMax}})
	addr := srv.Addr().String()
	payload := budgetMax - 4 - 1
	before := liveHeap()
	conns := make([]net.Conn, budgetConns)
	var wg sync.WaitGroup
	for i := range conns {
		conns[i] = dial(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := make([]byte, 4+payload-16)
			binary.BigEndian.PutUint32(f, uint32(payload))
			// A write that stalls means the server stopped reading:
			// that is the budget at work.
			fillUntilBlocked(conns[i], f, len(f), time.Second)
		}()
	}
	wg.Wait()
	// Trickle: one more byte on each, as a slow attacker would.
	for _, c := range conns {
		c.SetWriteDeadline(time.Now().Add(quiet))
		c.Write([]byte{0})
	}
	growth := liveHeap() - before
	declared := int64(budgetConns) * budgetMax
	x.note(t, "%d connections declared %d MiB; live heap grew %d MiB", budgetConns, declared>>20, growth>>20)
	if limit := declared/4 + budgetConns*128<<10; growth > limit {
		t.Errorf("live heap grew %d bytes while %d connections each held a partial frame of up to %d: "+
			"no global in-flight budget (want at most %d)", growth, budgetConns, budgetMax, limit)
	}
	if err := echo(dial(t, addr), lengthFrame([]byte("small"))); err != nil {
		t.Errorf("a small frame while partial frames fill the server: %v", err)
	}
}
