package pool

import (
	"math/bits"
	"sync"
)

// Batches of frames travel from a loop to a worker and back in buffers
// of power-of-two size classes, from minClass to maxClass bytes, each
// class a sync.Pool shared by loops and workers; a batch larger than
// maxClass gets a buffer of its own. The pools hold no more than the
// batches in flight need, and the garbage collector empties them when
// the server goes quiet.
const (
	minShift = 9  // 512 B
	maxShift = 22 // 4 MiB
)

// classOf returns the class of a buffer of at least n bytes, or -1 when
// n is over the largest.
func classOf(n int) int {
	if n <= 1<<minShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minShift
	if c > maxShift-minShift {
		return -1
	}
	return c
}

// pools holds recycled objects of T, each with a buffer, by the class of
// its buffer's size.
type pools[T any] struct {
	classes [maxShift - minShift + 1]sync.Pool
}

// get returns an object of T whose buffer holds at least n bytes; when
// the pool has none, newT makes one with a buffer of size bytes.
func (p *pools[T]) get(n int, newT func(size int) *T) *T {
	c := classOf(n)
	if c < 0 {
		return newT(n)
	}
	if v, ok := p.classes[c].Get().(*T); ok {
		return v
	}
	return newT(1 << (c + minShift))
}

// put gives back an object whose buffer has capacity size.
func (p *pools[T]) put(v *T, size int) {
	c := classOf(size)
	if c < 0 || size != 1<<(c+minShift) {
		return // a buffer of its own: the collector takes it
	}
	p.classes[c].Put(v)
}
