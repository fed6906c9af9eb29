//go:build linux

package netpoll

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// onLoop runs f on l's goroutine and waits for it.
func onLoop(t *testing.T, l *Loop, f func()) {
	t.Helper()
	done := make(chan struct{})
	if err := l.Submit(func() { f(); close(done) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not run the submitted function within 10 s")
	}
}

// resident returns the resident pages of l's provided buffers.
func resident(t *testing.T, l *Loop) (pages, lent int) {
	t.Helper()
	var err error
	onLoop(t, l, func() {
		b := l.ring.bufs
		pages, err = b.Resident(make([]byte, b.Pages()))
		lent = b.Lent()
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages, lent
}

// pingPong echoes n messages of size bytes on c, one at a time.
func pingPong(t *testing.T, c net.Conn, n, size int) {
	t.Helper()
	for i := range n {
		msg := pattern(size, i)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if got := readFull(t, c, size); !bytes.Equal(got, msg) {
			t.Fatalf("message %d: echo differs", i)
		}
	}
}

// TestUringPingPongKeepsFewBuffersResident echoes 300 small messages one
// at a time: each takes a buffer, and the loop lends the same few again,
// so no more than ringLend buffers' first pages become resident (64 at
// most, whatever ringLend is tuned to), where a ring that lent all
// ringBufs would have gone through 300 of them.
func TestUringPingPongKeepsFewBuffersResident(t *testing.T) {
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	c := dial(t, s)
	pingPong(t, c, 300, 64)
	pages, lent := resident(t, s.Loops()[0])
	if lent != ringLend {
		t.Errorf("the loop lends %d buffers, want %d: nothing ran it dry", lent, ringLend)
	}
	if want := min(ringLend, 64); pages > want {
		t.Errorf("%d pages of buffers resident after 300 echoes, want at most %d", pages, want)
	}
}

// TestUringBuffersGrowWhenRunDry lends one buffer to start with: sixteen
// connections' input at once runs it dry, every echo still arrives
// whole, and the loop lends more from then on.
func TestUringBuffersGrowWhenRunDry(t *testing.T) {
	old := ringLend
	ringLend = 1
	t.Cleanup(func() { ringLend = old })
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	conns := make([]*net.TCPConn, 16)
	for i := range conns {
		conns[i] = dial(t, s)
	}
	l := s.Loops()[0]
	for round := range 10 {
		// The loop waits in a submitted function while the input of
		// all sixteen arrives, so that its next round finds sixteen
		// recvs ready and one buffer.
		hold, held := make(chan struct{}), make(chan struct{})
		if err := l.Submit(func() { close(held); <-hold }); err != nil {
			t.Fatal(err)
		}
		<-held
		for i, c := range conns {
			if _, err := c.Write(pattern(3000, i+round)); err != nil {
				close(hold)
				t.Fatal(err)
			}
		}
		close(hold)
		for i, c := range conns {
			if got := readFull(t, c, 3000); !bytes.Equal(got, pattern(3000, i+round)) {
				t.Fatalf("round %d conn %d: echo differs", round, i)
			}
		}
	}
	if _, lent := resident(t, l); lent <= 1 {
		t.Errorf("the loop still lends %d buffer after running dry", lent)
	}
}

// TestUringIdleReleasesBufferPages makes buffers resident with large
// echoes, then lets the loop idle past ringIdleRelease: the pages go
// back to the system, and the loop lends ringLend buffers again.
func TestUringIdleReleasesBufferPages(t *testing.T) {
	old := ringIdleRelease
	ringIdleRelease = 20 * time.Millisecond
	t.Cleanup(func() { ringIdleRelease = old })
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	l := s.Loops()[0]
	c := dial(t, s)
	pingPong(t, c, 20, 256<<10)
	var before int
	onLoop(t, l, func() {
		b := l.ring.bufs
		before, _ = b.Resident(make([]byte, b.Pages()))
	})
	// released is set only by a release after the last input; it may
	// have happened already if the machine stalled this goroutine.
	eventually(t, "the idle release", func() bool {
		var released bool
		onLoop(t, l, func() { released = l.ring.released })
		return released
	})
	pages, lent := resident(t, l)
	if lent != ringLend {
		t.Errorf("after the release the loop lends %d buffers, want %d", lent, ringLend)
	}
	var quiet bool
	onLoop(t, l, func() { quiet = l.ring.r.DeferTaskrun() })
	switch {
	case quiet && pages != 0:
		t.Errorf("%d pages resident after the idle release (%d before), want 0", pages, before)
	case !quiet && pages > ringLend*ringBufSize/4096:
		t.Errorf("%d pages resident after the idle release (%d before), want only the lent buffers'", pages, before)
	}
	// The loop still serves, on pages faulted back in.
	pingPong(t, c, 3, 100<<10)
}

// TestUringLoneConnectionNeverBatches ping-pongs one connection: every
// wait asks for one completion, so its echoes are never held back
// waiting for others, and with no deadline set the wait has no timeout
// either: the idle release has a timer request of its own instead of
// bounding every wait, which would arm a kernel timer per message.
func TestUringLoneConnectionNeverBatches(t *testing.T) {
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	c := dial(t, s)
	pingPong(t, c, 500, 64)
	var (
		batched          uint64
		wait             uint32
		minWait, timeout time.Duration
	)
	l := s.Loops()[0]
	onLoop(t, l, func() {
		batched = l.ring.batched
		wait, minWait, timeout = l.ringWait()
	})
	if batched != 0 {
		t.Errorf("%d waits asked for a batch with one connection busy", batched)
	}
	if wait != 1 || minWait != 0 || timeout != -1 {
		t.Errorf("ringWait() = %d, %v, %v; want 1, 0, -1", wait, minWait, timeout)
	}
}

// TestUringManyConnectionsBatch ping-pongs 32 connections at once: the
// loop sees them busy and asks for batches of completions, and every
// echo still arrives whole.
func TestUringManyConnectionsBatch(t *testing.T) {
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	l := s.Loops()[0]
	var can bool
	onLoop(t, l, func() { can = l.ring.r.MinWait() })
	if !can {
		t.Skip("the kernel cannot bound a batched wait (IORING_FEAT_MIN_TIMEOUT, 6.12)")
	}
	conns := make([]*net.TCPConn, 32)
	for i := range conns {
		conns[i] = dial(t, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(conns))
	for i, c := range conns {
		wg.Go(func() {
			for j := range 300 {
				msg := pattern(64, i+j)
				if err := echoOnce(c, msg); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var batched uint64
	onLoop(t, l, func() { batched = l.ring.batched })
	if batched == 0 {
		t.Error("no wait asked for a batch with 32 connections busy")
	}
}

func TestBatchFor(t *testing.T) {
	for _, tc := range []struct {
		busy    int
		can     bool
		wait    uint32
		minWait time.Duration
	}{
		{0, true, 1, 0},
		{1, true, 1, 0},
		{batchConns - 1, true, 1, 0},
		{batchConns, true, batchConns / 2, batchWait},
		{50, true, 25, batchWait},
		{10000, true, batchMax, batchWait},
		{50, false, 1, 0},
	} {
		if wait, minWait := batchFor(tc.busy, tc.can); wait != tc.wait || minWait != tc.minWait {
			t.Errorf("batchFor(%d, %v) = %d, %v; want %d, %v", tc.busy, tc.can, wait, minWait, tc.wait, tc.minWait)
		}
	}
}
