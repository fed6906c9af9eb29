package enginetest

import (
	"fmt"
	"net"
	"runtime"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
)

// Slow reader sizes: the write limit the server runs with, how much the
// client offers, and how much heap growth beyond the limit is tolerated
// for the client's own buffers, the runtime and measurement noise.
const (
	slowWriteLimit = 256 << 10
	slowOffer      = 64 << 20
	heapSlack      = 4 << 20
	blockedWait    = 500 * time.Millisecond
)

// backpressureCase checks that a client that writes without ever reading
// cannot grow the server's memory: the server stops reading it, the
// client's writes block, and other connections are still served.
func backpressureCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{WriteLimit: slowWriteLimit})
	g, err := newGen(newRand(t), frame.Spec{Kind: frame.KindRaw})
	if err != nil {
		t.Fatalf("%v", err)
	}
	chunk := g.frame(64 << 10)
	c := dial(t, srv)
	if err := echo(c, ping); err != nil {
		t.Fatalf("echo before the flood: %v", err)
	}
	before := liveHeap()
	sent, err := fillUntilBlocked(c, chunk, slowOffer, blockedWait)
	if err != nil {
		t.Fatalf("after writing %d bytes: %v", sent, err)
	}
	growth := liveHeap() - before
	t.Logf("client wrote %d bytes before blocking; live heap grew %d bytes", sent, growth)
	if sent >= slowOffer {
		t.Errorf("client wrote all %d bytes without reading and its writes never blocked: "+
			"the server kept reading a connection whose output was not read", sent)
	}
	if limit := int64(slowWriteLimit + heapSlack); growth > limit {
		t.Errorf("live heap grew %d bytes while a client sent %d bytes without reading; "+
			"want at most the write limit %d plus %d", growth, sent, slowWriteLimit, heapSlack)
	}
	other := dial(t, srv)
	if err := echo(other, ping); err != nil {
		t.Errorf("another connection while one does not read: %v", err)
	}
	// The blocked reader's echo waits in the server, past the write limit
	// in a user-space queue or in a blocked write.
	waitStats(t, srv, "Errors.Backpressure or OutputQueued not counted", func(s engine.Stats) bool {
		return s.Errors.Backpressure >= 1 && s.OutputQueued > 0
	})
}

// fillUntilBlocked writes chunk to c until limit bytes are sent or a
// write makes no progress for wait, and returns the bytes sent. A write
// that blocks is the expected end and returns a nil error.
func fillUntilBlocked(c net.Conn, chunk []byte, limit int, wait time.Duration) (int, error) {
	sent := 0
	for sent < limit {
		if err := c.SetWriteDeadline(time.Now().Add(wait)); err != nil {
			return sent, err
		}
		n, err := c.Write(chunk)
		sent += n
		if isTimeout(err) {
			return sent, nil
		}
		if err != nil {
			return sent, fmt.Errorf("write: %w", err)
		}
	}
	return sent, nil
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
