package enginetest

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
)

// UDP sizes and attempts. Loopback may drop a datagram under memory
// pressure, so each wait for an echo is retried a few times.
const (
	udpClients   = 3
	udpDatagrams = 40
	udpMaxSize   = 8 << 10
	udpAttempts  = 5
)

// udpWait is how long one attempt waits for an echo or a counter.
func udpWait() time.Duration { return patience / 10 }

// udpDial returns a UDP socket connected to srv, closed when the case
// ends; being connected, it receives datagrams from srv only.
func udpDial(t tb, srv engine.Server) *net.UDPConn {
	t.Helper()
	c, err := net.Dial("udp", srv.Addr().String())
	if err != nil {
		t.Fatalf("dial udp %v: %v", srv.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

// udpEcho sends msg until the same bytes come back. A reply that equals
// an earlier datagram (for which stale returns true) is the late echo of
// a retry and is skipped.
func udpEcho(c *net.UDPConn, msg []byte, stale func([]byte) bool) error {
	buf := make([]byte, 64<<10)
	var last error
	for range udpAttempts {
		if _, err := c.Write(msg); err != nil {
			return fmt.Errorf("send %d bytes: %w", len(msg), err)
		}
		deadline := time.Now().Add(udpWait())
		for {
			if err := c.SetReadDeadline(deadline); err != nil {
				return err
			}
			n, err := c.Read(buf)
			if err != nil {
				last = err
				break
			}
			if stale != nil && stale(buf[:n]) {
				continue
			}
			return compare(buf[:n], msg)
		}
		if !isTimeout(last) {
			return fmt.Errorf("receive echo of %d bytes: %w", len(msg), last)
		}
	}
	return fmt.Errorf("no echo of %d bytes in %d attempts of %v: %w", len(msg), udpAttempts, udpWait(), last)
}

// udpDropped sends msg until srv's stats satisfy counted, then checks
// that nothing comes back within quiet.
func udpDropped(t tb, srv engine.Server, c *net.UDPConn, msg []byte, what string, counted func(engine.Stats) bool) {
	t.Helper()
	ok := false
	for attempt := 0; attempt < udpAttempts && !ok; attempt++ {
		if _, err := c.Write(msg); err != nil {
			t.Fatalf("%s: send %d bytes: %v", what, len(msg), err)
		}
		ok = pollUntil(udpWait(), func() bool { return counted(srv.Stats()) })
	}
	if !ok {
		t.Errorf("%s: not counted after %d attempts; stats %+v", what, udpAttempts, srv.Stats())
	}
	buf := make([]byte, 64<<10)
	c.SetReadDeadline(time.Now().Add(quiet))
	if n, err := c.Read(buf); err == nil {
		t.Errorf("%s: got a %d-byte reply, want the datagram dropped", what, n)
	} else if !isTimeout(err) {
		t.Errorf("%s: reading: %v", what, err)
	}
}

// udpEchoCase checks that datagrams of random size from several sockets
// come back to their own sender, unchanged.
func udpEchoCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{Network: "udp", Loops: 2})
	rng := newRand(t)
	var wg sync.WaitGroup
	for i := range udpClients {
		c := udpDial(t, srv)
		seed := rng.Uint64()
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := newGen(newSeeded(seed), frame.Spec{})
			if err != nil {
				t.Errorf("%v", err)
				return
			}
			sent := make(map[string]bool)
			stale := func(p []byte) bool { return sent[string(p)] }
			for j := range udpDatagrams {
				// Each datagram differs from the ones before, so that
				// a stale echo is never mistaken for the awaited one.
				msg := g.frame(logUniform(g.rng, 1, udpMaxSize))
				for sent[string(msg)] {
					msg = g.frame(len(msg) + 1)
				}
				if err := udpEcho(c, msg, stale); err != nil {
					t.Errorf("client %d, datagram %d (seed %d): %v", i, j, seed, err)
					return
				}
				sent[string(msg)] = true
			}
		}()
	}
	wg.Wait()
}

// udpTruncatedCase checks that a datagram longer than UDPBuffer is
// dropped and counted as truncated, one longer than the frame limit is
// dropped and counted as a frame error, and a valid one still comes back.
func udpTruncatedCase(t tb, e engine.Engine) {
	const buffer, limit = 1024, 512
	srv := start(t, e, engine.Config{Network: "udp", UDPBuffer: buffer, Frame: frame.Spec{Max: limit}})
	g, err := newGen(newRand(t), frame.Spec{Max: limit})
	if err != nil {
		t.Fatalf("%v", err)
	}
	c := udpDial(t, srv)
	udpDropped(t, srv, c, g.frame(9000), fmt.Sprintf("9000-byte datagram with a %d-byte buffer", buffer),
		func(s engine.Stats) bool { return s.Errors.Truncated >= 1 })
	udpDropped(t, srv, c, g.frame(700), fmt.Sprintf("700-byte datagram with a %d-byte frame limit", limit),
		func(s engine.Stats) bool { return s.Errors.Frame >= 1 })
	if err := udpEcho(c, g.frame(100), nil); err != nil {
		t.Errorf("valid datagram after the dropped ones: %v", err)
	}
	waitStats(t, srv, "Datagrams does not count the truncated, bad and echoed datagrams", func(s engine.Stats) bool {
		return s.Datagrams >= s.Errors.Truncated+s.Errors.Frame+s.Frames && s.Frames >= 1 && s.FramesIn >= s.Frames
	})
}

// udpLengthCase checks that with length framing a datagram must hold
// exactly one frame: trailing bytes, a cut frame or no bytes at all get it
// dropped.
func udpLengthCase(t tb, e engine.Engine) {
	spec := frame.Spec{Kind: frame.KindLength, LengthBytes: 4}
	srv := start(t, e, engine.Config{Network: "udp", Frame: spec})
	g, err := newGen(newRand(t), spec)
	if err != nil {
		t.Fatalf("%v", err)
	}
	c := udpDial(t, srv)
	if err := udpEcho(c, g.frame(100), nil); err != nil {
		t.Errorf("datagram of one frame: %v", err)
	}
	udpDropped(t, srv, c, append(g.frame(50), 1, 2, 3), "datagram of a frame and 3 more bytes",
		func(s engine.Stats) bool { return s.Errors.Frame >= 1 })
	udpDropped(t, srv, c, g.frame(100)[:60], "datagram of part of a frame",
		func(s engine.Stats) bool { return s.Errors.Frame >= 2 })
	udpDropped(t, srv, c, nil, "empty datagram",
		func(s engine.Stats) bool { return s.Errors.Frame >= 3 })
	if err := udpEcho(c, g.frame(10), nil); err != nil {
		t.Errorf("datagram of one frame after the dropped ones: %v", err)
	}
}
