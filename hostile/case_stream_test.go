//go:build linux

package hostile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/frame"
)

// lengthSpec is 4-byte length framing with the default limit.
var lengthSpec = frame.Spec{Kind: frame.KindLength, LengthBytes: 4}

// send writes about size bytes drawn from rng on c, as raw 64 KiB chunks
// or as length frames of random sizes, each write waiting up to patience,
// and returns the SHA-256 and length of what it wrote.
func send(c net.Conn, rng *rand.ChaCha8, size int, framed bool) ([]byte, int, error) {
	h := sha256.New()
	buf := make([]byte, 64<<10)
	sent := 0
	for sent < size {
		chunk := buf[:min(len(buf), size-sent)]
		if framed {
			n := 1 + int(rng.Uint64()%uint64(frame.DefaultMax-4))
			chunk = buf[:4+n]
			rng.Read(chunk[4:])
			binary.BigEndian.PutUint32(chunk, uint32(n))
		} else {
			rng.Read(chunk)
		}
		c.SetWriteDeadline(time.Now().Add(patience))
		n, err := c.Write(chunk)
		h.Write(chunk[:n])
		sent += n
		if err != nil {
			return h.Sum(nil), sent, fmt.Errorf("write after %d bytes: %w", sent, err)
		}
	}
	return h.Sum(nil), sent, nil
}

// sendResult is what sendAndClose wrote: the SHA-256 and length of its
// bytes, and the error that stopped it.
type sendResult struct {
	sum []byte
	n   int
	err error
}

// sendAndClose runs send on c in a goroutine, half-closes c once all is
// written, and delivers the outcome on the channel it returns.
func sendAndClose(c *net.TCPConn, rng *rand.ChaCha8, size int, framed bool) <-chan sendResult {
	out := make(chan sendResult, 1)
	go func() {
		sum, n, err := send(c, rng, size, framed)
		if err == nil {
			err = c.CloseWrite()
		}
		out <- sendResult{sum, n, err}
	}()
	return out
}

// halfCloseCase sends size bytes (raw, or length frames when framed),
// half-closes, and reads the echo concurrently: its SHA-256 must equal
// that of the input, and then the server must end the stream with EOF.
func halfCloseCase(size int, framed bool) func(t tb, x *env) {
	return func(t tb, x *env) {
		cfg := engine.Config{}
		if framed {
			cfg.Frame = lengthSpec
		}
		srv := start(t, x, cfg)
		c := dial(t, srv.Addr().String())
		src := rand.NewChaCha8(seed32(newRand(t)))
		wrote := sendAndClose(c, src, size, framed)
		sum, n, rerr := hashReader(c, patience)
		w := <-wrote
		if w.err != nil {
			t.Fatalf("sending %d bytes: %v", size, w.err)
		}
		if !errors.Is(rerr, io.EOF) {
			t.Errorf("echo ended with %v after %d of %d bytes, want EOF", rerr, n, w.n)
		}
		if n != w.n || !bytes.Equal(sum, w.sum) {
			t.Errorf("echo of %d bytes: got %d bytes with SHA-256 %x, want %x", w.n, n, sum, w.sum)
		}
	}
}

// kFrames is how many frames the stream-end cases send.
const kFrames = 500

// framesOf returns k length frames of random sizes up to 2 KiB and their
// concatenation.
func framesOf(rng *rand.Rand, k int) []byte {
	var b []byte
	for range k {
		p := make([]byte, 1+rng.IntN(2<<10))
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		b = append(b, lengthFrame(p)...)
	}
	return b
}

// finAfterFramesCase sends K frames then FIN: all K come back, then EOF.
func finAfterFramesCase(t tb, x *env) {
	srv := start(t, x, engine.Config{Frame: lengthSpec})
	c := dial(t, srv.Addr().String())
	data := framesOf(newRand(t), kFrames)
	go func() {
		c.SetWriteDeadline(time.Now().Add(patience))
		if _, err := c.Write(data); err == nil {
			c.CloseWrite()
		}
	}()
	if err := expect(c, data); err != nil {
		t.Fatalf("echo of %d frames sent before FIN: %v", kFrames, err)
	}
	if n, err := readToEnd(c, patience); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after the echo: %d more bytes, then %v; want EOF", n, err)
	}
	s := srv.Stats()
	if s.Frames < kFrames {
		t.Errorf("Frames = %d, want at least %d", s.Frames, kFrames)
	}
}

// rstAfterFramesCase sends K frames then resets the connection (SO_LINGER
// 0), once as soon as they are written and once after the server counted
// all K: the connection is released, the server keeps serving, and the
// frames it counted are all K in the second run.
func rstAfterFramesCase(t tb, x *env) {
	srv := start(t, x, engine.Config{Frame: lengthSpec})
	rng := newRand(t)
	for _, wait := range []bool{false, true} {
		before := srv.Stats()
		c := dial(t, srv.Addr().String())
		data := framesOf(rng, kFrames)
		c.SetWriteDeadline(time.Now().Add(patience))
		if _, err := c.Write(data); err != nil {
			t.Fatalf("writing %d frames: %v", kFrames, err)
		}
		if wait {
			waitFor(t, fmt.Sprintf("server did not count %d frames", kFrames), func() bool {
				return srv.Stats().Frames >= before.Frames+kFrames
			})
		}
		if err := lingerReset(c); err != nil {
			t.Fatalf("reset: %v", err)
		}
		waitFor(t, "reset connection still active", func() bool { return srv.Stats().Active <= before.Active })
		if err := echo(dial(t, srv.Addr().String()), lengthFrame(ping)); err != nil {
			t.Fatalf("echo after a reset (wait for frames %v): %v", wait, err)
		}
	}
}

// epipeCase resets connections while the server is blocked writing
// their echo: the write fails with EPIPE or ECONNRESET, which is counted
// in Errors.IO, and the server lives on.
func epipeCase(t tb, x *env) {
	const rounds = 5
	srv := start(t, x, engine.Config{WriteLimit: 64 << 10})
	chunk := make([]byte, 64<<10)
	for i := range rounds {
		before := srv.Stats()
		c := dial(t, srv.Addr().String())
		// Fill both directions until the server has to wait to write.
		sent, err := fillUntilBlocked(c, chunk, 32<<20, 300*time.Millisecond)
		if err != nil {
			t.Fatalf("round %d: filling after %d bytes: %v", i, sent, err)
		}
		if err := lingerReset(c); err != nil {
			t.Fatalf("reset: %v", err)
		}
		waitFor(t, "reset connection still active", func() bool { return srv.Stats().Active <= before.Active })
		if s := srv.Stats(); s.Errors.IO <= before.Errors.IO {
			t.Errorf("round %d: reset while the server wrote %d bytes: Errors.IO %d, not counted", i, sent, s.Errors.IO)
		}
	}
	if err := echo(dial(t, srv.Addr().String()), ping); err != nil {
		t.Errorf("echo after %d resets mid-write: %v", rounds, err)
	}
}

// fillUntilBlocked writes chunk to c until limit bytes are sent or a
// write makes no progress for wait, and returns the bytes sent. A write
// that blocks is the expected end and returns a nil error.
func fillUntilBlocked(c net.Conn, chunk []byte, limit int, wait time.Duration) (int, error) {
	sent := 0
	for sent < limit {
		c.SetWriteDeadline(time.Now().Add(wait))
		n, err := c.Write(chunk)
		sent += n
		if enginetest.IsTimeout(err) {
			return sent, nil
		}
		if err != nil {
			return sent, fmt.Errorf("write: %w", err)
		}
	}
	return sent, nil
}
