//go:build linux

package netpoll

import (
	"math/rand/v2"
	"slices"
	"testing"
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
			if int(hc.hidx) != i {
				t.Fatalf("step %d: conn at %d thinks it is at %d", step, i, hc.hidx)
			}
			if p := (i - 1) / 2; i > 0 && h[p].deadline > hc.deadline {
				t.Fatalf("step %d: parent %d later than child %d", step, p, i)
			}
		}
	}
	var want []int64
	for _, c := range conns {
		if c.hidx >= 0 {
			want = append(want, c.deadline)
		}
	}
	slices.Sort(want)
	var got []int64
	for c := h.first(); c != nil; c = h.first() {
		got = append(got, c.deadline)
		h.remove(c)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
}
