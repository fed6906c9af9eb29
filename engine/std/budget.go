package std

import (
	"context"
	"sync"
)

// minBudget is the least input, in bytes beyond maxReadBuf per
// connection, that all connections together may buffer for frames in
// progress. A peer can declare a frame of the codec's Max and send it
// slowly; without a global bound, N such peers pin N x Max bytes.
const minBudget = 16 << 20

// budget bounds the input buffer bytes that connections may hold beyond
// maxReadBuf, across the server. A connection whose frame needs a bigger
// buffer reserves room up to its limit; when that much is not free it
// stops reading until other connections give bytes back, so partial
// frames cannot grow the heap past the budget however many peers declare
// large frames.
type budget struct {
	mu   sync.Mutex
	free int
	// freed is closed, and replaced, whenever bytes are given back, to
	// wake the waiters so they look again.
	freed chan struct{}
}

// newBudget returns a budget of size bytes.
func newBudget(size int) *budget {
	return &budget{free: size, freed: make(chan struct{})}
}

// acquire takes n bytes, waiting until they are free or ctx is done.
func (b *budget) acquire(ctx context.Context, n int) error {
	for {
		b.mu.Lock()
		if n <= b.free {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release gives n bytes back and wakes the waiters.
func (b *budget) release(n int) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}
