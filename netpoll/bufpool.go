package netpoll

import "math/bits"

// Buffer size classes are powers of two from 512 B to 4 MiB; larger
// buffers are allocated and dropped without pooling.
const (
	minClassShift = 9
	maxClassShift = 22
	numClasses    = maxClassShift - minClassShift + 1
	// poolKeepBytes bounds what each class keeps on its free list, so a
	// burst does not pin memory forever.
	poolKeepBytes = 1 << 20
)

// bufPool is one loop's free lists of byte slices by size class. It is
// owned by the loop, so it needs no locking and, unlike sync.Pool, costs
// no allocation to put a slice back. A connection borrows from it only
// while it holds a partial frame or unsent output: an idle connection
// holds no buffer at all.
type bufPool struct {
	free [numClasses][][]byte
}

// classOf returns the size class index for n bytes, or -1 if n is larger
// than the largest class.
func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minClassShift
	if c >= numClasses {
		return -1
	}
	return c
}

// get returns an empty slice with capacity of at least n bytes.
func (p *bufPool) get(n int) []byte {
	c := classOf(n)
	if c < 0 {
		return make([]byte, 0, n)
	}
	if l := len(p.free[c]); l > 0 {
		b := p.free[c][l-1]
		p.free[c][l-1] = nil
		p.free[c] = p.free[c][:l-1]
		return b[:0]
	}
	return make([]byte, 0, 1<<(c+minClassShift))
}

// put returns b to its free list. Slices whose capacity is not a class
// size, and slices over what the class keeps, are left to the GC.
func (p *bufPool) put(b []byte) {
	n := cap(b)
	c := classOf(n)
	if c < 0 || n != 1<<(c+minClassShift) {
		return
	}
	if keep := max(2, poolKeepBytes>>(c+minClassShift)); len(p.free[c]) >= keep {
		return
	}
	p.free[c] = append(p.free[c], b[:0])
}
