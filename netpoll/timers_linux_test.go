//go:build linux

package netpoll

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestTimerHeap drives the heap with random sets and removals and checks
// after each step that it pops in deadline order and that every
// connection knows its index.
func TestTimerHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conns := make([]*Conn, 64)
	for i := range conns {
		conns[i] = &Conn{hidx: -1}
	}
	var h timerHeap
	for step := range 2000 {
		c := conns[rng.IntN(len(conns))]
		if rng.IntN(4) == 0 {
			h.remove(c)
		} else {
			h.set(c, rng.Int64N(1000)+1)
		}
		for i, hc := range h {
			if int(hc.c.hidx) != i {
				t.Fatalf("step %d: conn at %d thinks it is at %d", step, i, hc.c.hidx)
			}
			if p := (i - 1) / 2; i > 0 && h[p].at > hc.at {
				t.Fatalf("step %d: parent %d later than child %d", step, p, i)
			}
		}
	}
	var want []int64
	for _, c := range conns {
		if c.hidx >= 0 {
			want = append(want, h.deadline(c))
		}
	}
	slices.Sort(want)
	var got []int64
	for c, at := h.first(); c != nil; c, at = h.first() {
		got = append(got, at)
		h.remove(c)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
}

// TestConnSize keeps Conn within the 80-byte allocation size class on
// 64-bit systems: an idle server holds one per connection, and the next
// class up is 96 bytes.
func TestConnSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("size classes differ on 32-bit systems")
	}
	if got := unsafe.Sizeof(Conn{}); got > 80 {
		t.Errorf("Conn is %d bytes, want at most 80", got)
	}
}
