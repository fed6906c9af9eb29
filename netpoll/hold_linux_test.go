//go:build linux

package netpoll

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestPauseReading checks that a paused connection gets no OnData while
// its peer sends, and gets the input once resumed from another goroutine.
func TestPauseReading(t *testing.T) {
	h := lineHandler()
	echoLines := h.data
	opened := make(chan *Conn, 1)
	h.open = func(c *Conn) {
		c.PauseReading()
		opened <- c
	}
	calls := make(chan int, 16)
	h.data = func(c *Conn, b []byte) int {
		calls <- len(b)
		return echoLines(c, b)
	}
	s := startServer(t, h, Config{Loops: 1})
	cl := dial(t, s)
	c := <-opened
	if _, err := cl.Write([]byte("held\n")); err != nil {
		t.Fatal(err)
	}
	// The peer's line waits in the socket; nothing may reach OnData.
	select {
	case n := <-calls:
		t.Fatalf("OnData(%d bytes) on a paused connection", n)
	case <-time.After(100 * time.Millisecond):
	}
	if err := c.Loop().Submit(c.ResumeReading); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, cl, 5); string(got) != "held\n" {
		t.Fatalf("echo after ResumeReading: %q", got)
	}
}

// TestIdleBoundsPartial checks that with IdleBoundsPartial a peer that
// trickles bytes of a line it never ends is closed with ErrIdleTimeout,
// while a peer that completes its lines in pieces is served.
func TestIdleBoundsPartial(t *testing.T) {
	const idle = 200 * time.Millisecond
	h := lineHandler()
	s := startServer(t, h, Config{Loops: 1, IdleTimeout: idle, IdleBoundsPartial: true})
	trickler, pieces := dial(t, s), dial(t, s)
	tick := time.NewTicker(idle / 4)
	defer tick.Stop()
	for range 12 { // three timeouts
		_, _ = trickler.Write([]byte{'x'}) // fails once closed
		if _, err := pieces.Write([]byte("pi")); err != nil {
			t.Fatal(err)
		}
		<-tick.C
		if _, err := pieces.Write([]byte("ece\n")); err != nil {
			t.Fatal(err)
		}
		if got := readFull(t, pieces, 6); string(got) != "piece\n" {
			t.Fatalf("echo of a line in pieces: %q", got)
		}
	}
	expectClosed(t, trickler)
	if err := h.nextClose(t); !errors.Is(err, ErrIdleTimeout) {
		t.Fatalf("trickling connection: OnClose(%v), want ErrIdleTimeout", err)
	}
}

// TestInputGrowth sends one message larger than the pool's largest class
// in many pieces and checks that the buffer holding it grew a logarithmic
// number of times and never past InputLimit.
func TestInputGrowth(t *testing.T) {
	const limit = 6<<20 + 1
	const msg = limit - 1
	h := newTestHandler()
	var mu sync.Mutex
	caps := make(map[int]bool)
	h.data = func(c *Conn, b []byte) int {
		mu.Lock()
		caps[cap(b)] = true
		mu.Unlock()
		if len(b) < msg {
			return 0
		}
		_, _ = c.Write([]byte{'k'})
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 1, InputLimit: limit})
	cl := dial(t, s)
	piece := make([]byte, 16<<10)
	for sent := 0; sent < msg; sent += len(piece) {
		if _, err := cl.Write(piece[:min(len(piece), msg-sent)]); err != nil {
			t.Fatal(err)
		}
	}
	if got := readFull(t, cl, 1); string(got) != "k" {
		t.Fatalf("reply to the whole message: %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	// The loop's shared read buffer is one of the capacities seen.
	for c := range caps {
		if c > limit && c != defaultReadBuffer {
			t.Errorf("input buffer of %d bytes, over the %d-byte input limit", c, limit)
		}
	}
	if len(caps) > 16 {
		t.Errorf("input buffer grew %d times for a %d-byte message; want O(log n)", len(caps)-1, msg)
	}
}

// TestPauseReadingKeepsInterestUntilInput checks that PauseReading leaves
// the connection registered for input until input arrives, so that a
// hold released before the peer sends again costs no epoll_ctl, and that
// input arriving while held drops the interest (rather than wake every
// round) and is read once the hold is released.
func TestPauseReadingKeepsInterestUntilInput(t *testing.T) {
	got := make(chan string, 4)
	held := make(chan *Conn, 4)
	h := newTestHandler()
	h.data = func(c *Conn, b []byte) int {
		got <- string(b)
		c.PauseReading()
		held <- c
		return len(b)
	}
	s := startServer(t, h, Config{Loops: 1})
	cl := dial(t, s)
	// reading asks the loop whether c is registered for input.
	reading := func(c *Conn) bool {
		t.Helper()
		ans := make(chan bool, 1)
		if err := c.Loop().Submit(func() { ans <- c.events&eventRead != 0 }); err != nil {
			t.Fatal(err)
		}
		return <-ans
	}
	if _, err := cl.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	c := <-held
	if s := <-got; s != "a" {
		t.Fatalf("first input %q, want a", s)
	}
	if !reading(c) {
		t.Fatal("PauseReading dropped the read interest before any input arrived")
	}
	if _, err := cl.Write([]byte("b")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); reading(c); {
		if time.Now().After(deadline) {
			t.Fatal("input for a held connection left it registered for input for 5s")
		}
		runtime.Gosched()
	}
	select {
	case s := <-got:
		t.Fatalf("OnData(%q) on a held connection", s)
	default:
	}
	if err := c.Loop().Submit(c.ResumeReading); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "b" {
		t.Fatalf("input after ResumeReading %q, want b", s)
	}
}
